"""Diarization without models: clustering of speaker vectors, turns from windows, and the DER metric."""

import numpy as np
import pytest

from glassmate.meetings import diarize
from glassmate.meetings.der import diarization_error


def voices(
    count: int, per: int, *, common: float = 3.0, spread: float = 0.35, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Vectors of `count` voices sharing a large common part (as one recording's d-vectors do)."""
    rng = np.random.default_rng(seed)
    shared = rng.normal(size=256)
    shared *= common / np.linalg.norm(shared)
    centres = rng.normal(size=(count, 256))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    labels = np.repeat(np.arange(count), per)
    rng.shuffle(labels)
    noise = rng.normal(size=(len(labels), 256)) * spread / np.sqrt(256)
    vectors = shared + centres[labels] + noise
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True), labels


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    pairs = {(int(x), int(y)) for x, y in zip(a, b, strict=True)}
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


@pytest.mark.parametrize("count", [2, 3, 4])
def test_voices_that_share_a_common_part_are_told_apart(count: int) -> None:
    vectors, truth = voices(count, 30, seed=count)
    raw_similarity = float(np.mean(vectors[truth == 0] @ vectors[truth == 1].T))
    assert raw_similarity > 0.85  # as alike as two real speakers' d-vectors: a plain cosine cut fails here
    labels = diarize.cluster(vectors)
    assert same_partition(labels, truth)
    assert labels[0] == 0  # numbered in order of first appearance


def test_one_voice_stays_one_speaker() -> None:
    vectors, _ = voices(1, 60, spread=0.6)
    assert set(diarize.cluster(vectors).tolist()) == {0}


def test_a_voice_with_too_little_speech_joins_the_nearest() -> None:
    vectors, _ = voices(2, 30)
    stray = vectors[:2] * 0.0 + np.random.default_rng(5).normal(size=(2, 256))
    stray /= np.linalg.norm(stray, axis=1, keepdims=True)
    labels = diarize.cluster(np.concatenate([vectors, stray]), np.full(62, 0.75))
    assert set(labels.tolist()) == {0, 1}  # 1.5 s of a third "voice" is not a speaker


def test_many_windows_are_clustered_on_a_sample_and_assigned() -> None:
    vectors, truth = voices(3, 1000)  # 3,000 windows: past MAX_POINTS
    assert same_partition(diarize.cluster(vectors), truth)


def test_windows_overlap_and_cover_each_region() -> None:
    spans = diarize.windows([(0.0, 4.0), (5.0, 5.2), (6.0, 7.0)])
    assert spans[0] == (0.0, 1.5) and spans[1] == (0.75, 2.25) and spans[-2] == (2.5, 4.0)
    assert (5.0, 5.2) not in spans  # too short to say who it is
    assert spans[-1] == (6.0, 7.0)


def test_a_change_of_speaker_inside_one_region_is_found() -> None:
    region = [(0.0, 9.0)]
    spans = diarize.windows(region)
    labels = np.array([0 if (a + b) / 2 < 4.5 else 1 for a, b in spans])
    found = diarize.turns(region, spans, labels)
    assert [t.speaker for t in found] == [0, 1]
    assert found[0].end == pytest.approx(4.5, abs=0.4)


def test_a_one_window_blip_inside_a_turn_is_smoothed_away() -> None:
    region = [(0.0, 9.0)]
    spans = diarize.windows(region)
    labels = np.zeros(len(spans), int)
    labels[5] = 1
    found = diarize.turns(region, spans, labels, min_turn_s=1.0)
    assert [t.speaker for t in found] == [0]


def test_der_of_a_perfect_answer_is_zero_whatever_the_names() -> None:
    ref = [(0.0, 5.0, "alice"), (5.0, 9.0, "bob"), (9.0, 12.0, "alice")]
    hyp = [(0.0, 5.0, "1"), (5.0, 9.0, "0"), (9.0, 12.0, "1")]
    assert diarization_error(ref, hyp).der == pytest.approx(0.0)


def test_der_counts_confusion_miss_and_false_alarm() -> None:
    ref = [(0.0, 10.0, "a"), (10.0, 20.0, "b")]
    one_speaker = diarization_error(ref, [(0.0, 20.0, "x")], collar=0.0)
    assert one_speaker.confusion == pytest.approx(0.5, abs=0.01) and one_speaker.missed == 0
    half_missed = diarization_error(ref, [(0.0, 10.0, "x")], collar=0.0)
    assert half_missed.missed == pytest.approx(0.5, abs=0.01) and half_missed.confusion == 0
    extra = diarization_error(ref, [(0.0, 10.0, "x"), (10.0, 20.0, "y"), (25.0, 30.0, "y")], collar=0.0)
    assert extra.false_alarm == pytest.approx(0.25, abs=0.01)


def test_the_collar_forgives_boundaries() -> None:
    ref = [(0.0, 10.0, "a"), (10.0, 20.0, "b")]
    late = [(0.0, 10.2, "x"), (10.2, 20.0, "y")]
    assert diarization_error(ref, late, collar=0.25).der == pytest.approx(0.0)
    assert diarization_error(ref, late, collar=0.0).der > 0.005
