"""The weight store, on tiny fake model packages put on sys.path."""

import hashlib
import sys
from pathlib import Path

import pytest

from glassmate.errors import ModelCorruptError, ModelMissingError
from glassmate.weights import Artifact, ModelSpec, ModelStatus, Part, WeightStore

PART_A = b"first half of the weights|"
PART_B = b"second half"


@pytest.fixture
def packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = tmp_path / "site"
    for module, payload in (("fakepart_a", PART_A), ("fakepart_b", PART_B)):
        (site / module / "data").mkdir(parents=True)
        (site / module / "__init__.py").write_text("")
        (site / module / "data" / "blob.bin").write_bytes(payload)
    monkeypatch.syspath_prepend(str(site))
    yield site
    for module in ("fakepart_a", "fakepart_b"):
        sys.modules.pop(module, None)


def _spec(sha: str | None = None, module_b: str = "fakepart_b") -> ModelSpec:
    joined = PART_A + PART_B
    return ModelSpec(
        key="toy",
        kind="llm",
        name="toy model",
        license="test",
        artifacts=(
            Artifact(
                "toy.gguf",
                (
                    Part("fake-part-a", "1.0", "fakepart_a", "data/blob.bin"),
                    Part("fake-part-b", "1.0", module_b, "data/blob.bin"),
                ),
                sha or hashlib.sha256(joined).hexdigest(),
                len(joined),
            ),
        ),
    )


def test_prepare_joins_parts_and_verifies(packages: Path, tmp_path: Path) -> None:
    spec = _spec()
    store = WeightStore(models_dir=tmp_path / "models", catalog=(spec,))
    assert store.status(spec).status is ModelStatus.UNPREPARED
    seen = []
    store.prepare(spec, progress=seen.append)
    assert sum(seen) == len(PART_A + PART_B)
    assert store.status(spec).status is ModelStatus.READY
    path = store.ensure("toy")["toy.gguf"]
    assert path.read_bytes() == PART_A + PART_B


def test_missing_package_is_named(packages: Path, tmp_path: Path) -> None:
    spec = _spec(module_b="not_installed_anywhere")
    store = WeightStore(models_dir=tmp_path / "models", catalog=(spec,))
    report = store.status(spec)
    assert report.status is ModelStatus.MISSING
    assert "fake-part-b==1.0" in report.detail
    with pytest.raises(ModelMissingError, match=r"fake-part-b==1\.0"):
        store.prepare(spec)
    with pytest.raises(ModelMissingError, match="models prepare"):
        store.ensure("toy")


def test_damaged_part_is_refused_and_nothing_is_left_behind(packages: Path, tmp_path: Path) -> None:
    (packages / "fakepart_b" / "data" / "blob.bin").write_bytes(b"second half, tampered")
    spec = _spec(sha=hashlib.sha256(PART_A + PART_B).hexdigest())
    store = WeightStore(models_dir=tmp_path / "models", catalog=(spec,))
    with pytest.raises(ModelCorruptError) as info:
        store.prepare(spec)
    assert "fake-part-a==1.0" in info.value.message and info.value.code == "model-corrupt"
    assert not list((tmp_path / "models" / "toy").iterdir())


def test_tampered_assembled_file_is_never_loaded(packages: Path, tmp_path: Path) -> None:
    spec = _spec()
    store = WeightStore(models_dir=tmp_path / "models", catalog=(spec,))
    store.prepare(spec)
    path = store.ensure("toy")["toy.gguf"]
    path.write_bytes(b"X" * len(PART_A + PART_B))  # same size, new mtime: the stamp no longer vouches for it
    assert store.status(spec).status is ModelStatus.CORRUPT
    with pytest.raises(ModelCorruptError):
        store.ensure("toy")
    store.prepare(spec)  # re-assembles from the packages
    assert store.status(spec).status is ModelStatus.READY


def test_truncated_file_is_corrupt(packages: Path, tmp_path: Path) -> None:
    spec = _spec()
    store = WeightStore(models_dir=tmp_path / "models", catalog=(spec,))
    store.prepare(spec)
    store.ensure("toy")["toy.gguf"].write_bytes(b"short")
    with pytest.raises(ModelCorruptError, match="bytes, expected"):
        store.ensure("toy")


def test_in_place_artifact_is_verified_where_it_lies(packages: Path, tmp_path: Path) -> None:
    spec = ModelSpec(
        key="vad",
        kind="vad",
        name="toy vad",
        license="test",
        artifacts=(
            Artifact(
                "blob.bin",
                (Part("fake-part-a", "1.0", "fakepart_a", "data/blob.bin"),),
                hashlib.sha256(PART_A).hexdigest(),
                len(PART_A),
            ),
        ),
    )
    store = WeightStore(models_dir=tmp_path / "models", catalog=(spec,))
    assert store.status(spec).status is ModelStatus.READY
    assert store.ensure("vad")["blob.bin"] == packages / "fakepart_a" / "data" / "blob.bin"
