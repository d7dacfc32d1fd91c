"""Translation: conversation mode on the glasses (an activity, see activity.py) and one-off phrases."""

from __future__ import annotations

from glassmate.errors import ToolError, UnsupportedLanguageError
from glassmate.events import SessionConfig
from glassmate.providers.translate.base import LANGUAGES
from glassmate.skills.base import Skill, SkillEnv, SkillPolicy
from glassmate.skills.tools import ToolContext, tool
from glassmate.skills.translate.activity import TranslationActivity
from glassmate.skills.translate.languages import language_code

TEXTS = {
    "en": {
        "on": "Translating to {language}. Say stop translating to end.",
        "their": "their language",
        "off": "Translation off.",
        "unknown": "I can't translate into {language} yet.",
        "glasses_only": "Conversation translation works on the glasses; here I can translate a phrase for you.",
    },
    "zh": {
        "on": "开始翻译成{language}。说“停止翻译”结束。",
        "their": "对方的语言",
        "off": "翻译已关闭。",
        "unknown": "我还不能翻译成{language}。",
        "glasses_only": "对话翻译要在眼镜上使用；这里我可以帮你翻译一句话。",
    },
    "de": {
        "on": "Ich übersetze ins {language}. Sag „Übersetzung beenden“, um aufzuhören.",
        "their": "ihre Sprache",
        "off": "Übersetzung aus.",
        "unknown": "In {language} kann ich noch nicht übersetzen.",
        "glasses_only": "Gesprächsübersetzung gibt es auf der Brille; hier übersetze ich dir einen Satz.",
    },
}
# How each reply language names the languages it may switch to.
NAMES = {"zh": {"en": "英语", "de": "德语", "zh": "中文", "fr": "法语", "es": "西班牙语", "ja": "日语", "ko": "韩语",
                "ru": "俄语", "it": "意大利语"},
         "de": {"en": "Englische", "de": "Deutsche", "zh": "Chinesische", "fr": "Französische", "es": "Spanische",
                "ja": "Japanische", "ko": "Koreanische", "ru": "Russische", "it": "Italienische"}}  # fmt: skip


def _name(code: str, language: str) -> str:
    return NAMES.get(language, {}).get(code) or LANGUAGES[code].split()[0]


class TranslateSkill(Skill):
    name = "translate"
    policy = SkillPolicy(icon="translate", command_while_busy=True, remembered=False, models=("llm", "asr"))

    def __init__(self, *, env: SkillEnv) -> None:
        super().__init__(env=env)
        self.activity = TranslationActivity(port=env.port, models=env.models) if env.port is not None else None
        self.translating = False

    def offers(self, tool: str) -> bool:
        return tool != "stop_translation" or self.translating

    def on_options(self, config: SessionConfig) -> None:
        self.translating = config.glassmate.translation.enabled
        if self.activity is None or self.port is None:
            return
        if config.glassmate.translation.enabled:
            self.port.focus(self.activity)
        else:
            self.port.release(self.activity)

    @tool(
        timeout_s=5,
        examples=(
            "I want to talk with this shopkeeper, she speaks only Spanish.",
            "Help me understand what he is saying.",
            "我想跟这个店员聊天，她只会说英语。",
            "帮我听懂他在说什么。",
            "Ich möchte mich mit dem Kellner unterhalten, er spricht nur Italienisch.",
            "Hilf mir, sie zu verstehen.",
        ),
    )
    async def start_translation(self, ctx: ToolContext, language: str | None = None) -> str:
        """Start translating a conversation: the wearer's words are spoken in the other person's language and
        theirs are captioned in the wearer's.

        Args:
            language: the other person's language as said ("German", "德语", "Deutsch") or its code; empty when
                unknown (it is then taken from their first words).
        """
        code = language_code(language)
        if language and code is None:
            return ctx.text(TEXTS, "unknown", language=language)
        if self.port is None:
            raise ToolError(ctx.text(TEXTS, "glasses_only"), code="needs-glasses")
        self.port.update_options(translation={"enabled": True, "other_language": code})
        target = _name(code, ctx.language) if code else ctx.text(TEXTS, "their")
        return ctx.text(TEXTS, "on", language=target)

    @tool(timeout_s=5)
    async def stop_translation(self, ctx: ToolContext) -> str:
        """Stop translating the conversation."""
        if self.port is not None:
            self.port.update_options(translation={"enabled": False, "other_language": None})
        return ctx.text(TEXTS, "off")

    @tool(
        timeout_s=30,
        examples=(
            "How do you say thank you in French?",
            "What's 'good night' in Korean?",
            "Translate 'where is the toilet' into Spanish.",
            "谢谢用日语怎么说？",
            "把“你好”翻译成德语。",
            "Was heißt Entschuldigung auf Englisch?",
            "Übersetze „guten Appetit“ ins Italienische.",
        ),
        side_effects=False,
    )
    async def translate_text(self, ctx: ToolContext, text: str, language: str) -> str:
        """Translate a word or phrase into another language (how do you say X in Y).

        Args:
            text: the words to translate.
            language: the language to translate into, as said ("Chinese", "德语") or its code.
        """
        code = language_code(language)
        if code is None:
            return ctx.text(TEXTS, "unknown", language=language)
        try:
            result = await ctx.models.translator.translate(text.strip(" \"'“”「」"), target=code)
        except UnsupportedLanguageError:
            return ctx.text(TEXTS, "unknown", language=language)
        return result.text
