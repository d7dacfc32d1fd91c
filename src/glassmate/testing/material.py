"""Real recordings this team did not make, for tests and the bench, taken from registry packages and checked by
sha256 like the models.

- The pyannote sample: 30 s of a real telephone conversation between two people, with the reference speaker
  turns (RTTM) that pyannote.audio's own tests use. It ships inside the `pyannote.audio` 4.0.7 wheel (MIT);
  `scripts/setup.sh --test` downloads the wheel (without its dependencies: nothing of it is installed or
  imported) to `~/.cache/glassmate/wheels`, and the files are read from the zip.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

WHEELS = Path(os.environ.get("GLASSMATE_WHEELS", Path.home() / ".cache" / "glassmate" / "wheels"))
PYANNOTE_WHEEL = "pyannote_audio-4.0.7-py3-none-any.whl"
PYANNOTE_FILES = {
    "pyannote/audio/sample/sample.wav": "c319b4abca767b124e41432d364fd7df006cb26bb79d09326c487d606a134e6e",
    "pyannote/audio/sample/sample.rttm": "d78fe62c69d8e6dcbb42c26adfce83faccb374c5a1e6d987fe37f85f1c173c87",
}


class MaterialMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class Recording:
    audio: Path
    rttm: Path


def pyannote_sample(target: Path | None = None) -> Recording:
    """The sample's wav and rttm, extracted (once) next to the wheel and verified."""
    wheel = WHEELS / PYANNOTE_WHEEL
    out = target or WHEELS / "pyannote-sample"
    paths = []
    for member, digest in PYANNOTE_FILES.items():
        path = out / Path(member).name
        if not path.is_file():
            if not wheel.is_file():
                raise MaterialMissing(f"{wheel} is missing: run scripts/setup.sh --test (it downloads "
                                      "pyannote.audio==4.0.7 without dependencies)")  # fmt: skip
            out.mkdir(parents=True, exist_ok=True)
            with zipfile.ZipFile(wheel) as z:
                path.write_bytes(z.read(member))
        if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            path.unlink()
            raise MaterialMissing(f"{member} from {wheel.name} does not have the expected sha256")
        paths.append(path)
    return Recording(audio=paths[0], rttm=paths[1])
