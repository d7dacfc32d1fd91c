"""The `translate` skill: conversation translation mode ("translate to German", "帮我翻译成英语", "übersetze ins
Chinesische", "stop translating") and one-off phrases ("how do you say thank you in Chinese")."""
