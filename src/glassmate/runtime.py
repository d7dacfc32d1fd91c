"""Builds the configured providers. Nothing loads until first used, and embedded models are verified first."""

from __future__ import annotations

from functools import cached_property

from glassmate.config import Settings
from glassmate.providers.asr.base import ASR
from glassmate.providers.codes.base import CodeScanner
from glassmate.providers.embed.base import Embedder
from glassmate.providers.llm.base import LLM
from glassmate.providers.ocr.base import OCR
from glassmate.providers.speaker.base import SpeakerEncoder
from glassmate.providers.translate.base import Translator
from glassmate.providers.tts.base import TTS
from glassmate.providers.turn.smart_turn import SmartTurn
from glassmate.providers.vad.silero import SileroVAD
from glassmate.weights.store import WeightStore


class Models:
    """The providers one glassmate process uses, built from settings on first access."""

    def __init__(self, *, settings: Settings, store: WeightStore | None = None) -> None:
        self.settings = settings
        self.store = store or WeightStore(models_dir=settings.models_dir)

    @cached_property
    def llm(self) -> LLM:
        s = self.settings.llm
        if s.backend == "openai":
            from glassmate.providers.llm.openai_compat import OpenAICompatLLM

            return OpenAICompatLLM(settings=s.remote, defaults=s)
        from glassmate.providers.llm.llama_cpp import LlamaCppLLM

        path = s.model_path or self.store.ensure("llm")["qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"]
        return LlamaCppLLM(model_path=path, settings=s)

    @cached_property
    def asr(self) -> ASR:
        s = self.settings.asr
        if s.backend == "openai":
            from glassmate.providers.asr.openai_compat import OpenAICompatASR

            return OpenAICompatASR(settings=s.remote)
        from glassmate.providers.asr.faster_whisper import FasterWhisperASR

        english = None  # English turns go to tiny.en, unless turned off or another Whisper was chosen
        if s.english_model and (s.english_model_dir or s.model_dir is None):
            english = s.english_model_dir or self.store.folder("asr_en")
        return FasterWhisperASR(model_dir=s.model_dir or self.store.folder("asr"), settings=s, english_dir=english)

    @cached_property
    def vad(self) -> SileroVAD:
        return SileroVAD(model_path=self.store.ensure("vad")["silero_vad_v6.onnx"], settings=self.settings.vad)

    @cached_property
    def turn(self) -> SmartTurn:
        """The end-of-turn model that `semantic_vad` turn detection asks at a pause."""
        return SmartTurn(model_path=self.store.ensure("turn")["smart-turn-v3.2-cpu.onnx"])

    @cached_property
    def tts(self) -> TTS:
        s = self.settings.tts
        if s.backend == "openai":
            from glassmate.providers.tts.openai_compat import OpenAICompatTTS

            return OpenAICompatTTS(settings=s.remote, voice=s.remote_voice)
        from glassmate.providers.tts.espeak import EspeakTTS, MultiVoiceTTS
        from glassmate.providers.tts.piper import PiperTTS

        if s.voice_path is not None:
            piper = PiperTTS(model_path=s.voice_path, config_path=s.voice_path.with_name(s.voice_path.name + ".json"))
        else:
            paths = self.store.ensure("tts")
            piper = PiperTTS(model_path=paths["en_US-joe-medium.onnx"], config_path=paths["en_US-joe-medium.onnx.json"])
        return MultiVoiceTTS(piper=piper, espeak=EspeakTTS(binary=s.espeak_binary), piper_languages=s.piper_languages)

    @cached_property
    def ocr(self) -> OCR:
        s = self.settings.ocr
        if s.backend == "tesseract":
            from glassmate.providers.ocr.tesseract import TesseractOCR

            return TesseractOCR(settings=s)
        from glassmate.providers.ocr.rapidocr import RapidOCRProvider

        return RapidOCRProvider(model_paths=self.store.ensure("ocr"), settings=s)

    @cached_property
    def translator(self) -> Translator:
        from glassmate.providers.translate.llm import LLMTranslator

        s = self.settings.translate
        if s.backend == "openai":
            from glassmate.providers.llm.openai_compat import OpenAICompatLLM

            return LLMTranslator(llm=OpenAICompatLLM(settings=s.remote, defaults=self.settings.llm))
        return LLMTranslator(llm=self.llm)

    @cached_property
    def embedder(self) -> Embedder:
        from glassmate.providers.embed.onnx_use import USEEmbedder

        path = self.store.ensure("embed")["embedding_model_quantized.onnx"]
        return USEEmbedder(model_path=path, threads=self.settings.agent.embed_threads)

    @cached_property
    def speaker(self) -> SpeakerEncoder:
        from glassmate.providers.speaker.dvector import DVectorEncoder

        return DVectorEncoder(model_path=self.store.ensure("speaker")["embedder.int8.onnx"])

    @cached_property
    def codes(self) -> CodeScanner:
        from glassmate.providers.codes.zxing import ZXingScanner

        return ZXingScanner()

    async def aclose(self) -> None:
        """Close every provider that was built."""
        translator = self.__dict__.get("translator")
        if translator is not None and translator.llm is not self.__dict__.get("llm"):
            await translator.llm.aclose()  # its own remote LLM; the embedded one is closed below
        for name in ("llm", "asr", "tts", "ocr", "codes", "embedder", "speaker", "turn"):
            provider = self.__dict__.get(name)
            if provider is not None:
                await provider.aclose()
