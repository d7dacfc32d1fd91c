"""Appearance matching: recognise a package by its artwork when neither its barcode nor its name can be read.

Every reference image of the catalog gives ORB keypoints (OpenCV). A frame's descriptors are matched against
all of them at once (Hamming distance, Lowe's ratio test); the products with the most matches are verified
with a RANSAC homography, and the number of geometrically consistent matches (inliers) is the evidence: a
flat package seen from any angle maps onto its reference by one homography, a look-alike does not.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

MAX_SIDE = 640  # images are matched at this size at most
FEATURES = 5000  # detected; then at most PER_CELL per cell of a GRID x GRID grid are kept
GRID = 8
PER_CELL = 20
RATIO = 0.8  # Lowe's ratio test
VERIFY = 4  # products verified by homography
INLIERS_FOR_CERTAINTY = 40  # this many consistent matches (or more) is confidence 1.0


@dataclass(frozen=True)
class AppearanceMatch:
    gtin: str
    inliers: int
    confidence: float


def _gray(pixels: np.ndarray) -> np.ndarray:
    gray = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY) if pixels.ndim == 3 else pixels
    scale = MAX_SIDE / max(gray.shape[:2])
    if scale < 1:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return gray


class AppearanceIndex:
    """The catalog's reference images as ORB features; built once, matched against many frames."""

    def __init__(self) -> None:
        self._orb = cv2.ORB_create(nfeatures=FEATURES)  # type: ignore[attr-defined]
        self._lock = threading.Lock()  # OpenCV's matcher is not shared between threads
        self._descriptors = np.zeros((0, 32), np.uint8)
        self._points = np.zeros((0, 2), np.float32)
        self._owner = np.zeros(0, np.int32)  # which product each descriptor belongs to
        self._gtins: list[str] = []
        self._matcher: Any = None

    def __len__(self) -> int:
        return len(self._gtins)

    def _features(self, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """ORB keypoints spread over the whole image (the strongest few per cell of a grid), so that text and
        barcodes, all corners, do not take every keypoint from the artwork that tells packages apart."""
        gray = _gray(pixels)
        keypoints = self._orb.detect(gray, None)
        h, w = gray.shape[:2]
        cells: dict[tuple[int, int], list[Any]] = {}
        for k in keypoints:
            cell = (int(k.pt[0] * GRID / w), int(k.pt[1] * GRID / h))
            cells.setdefault(cell, []).append(k)
        spread = [k for ks in cells.values() for k in sorted(ks, key=lambda k: -k.response)[:PER_CELL]]
        spread, descriptors = self._orb.compute(gray, spread)
        if descriptors is None:
            return np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8)
        return np.array([k.pt for k in spread], np.float32), descriptors

    def add(self, gtin: str, pixels: np.ndarray) -> None:
        points, descriptors = self._features(pixels)
        if len(descriptors) < 10:
            return  # a plain image has nothing to recognise it by
        index = len(self._gtins)
        self._matcher = None  # rebuilt with the new descriptors on the next match
        self._gtins.append(gtin)
        self._descriptors = np.vstack([self._descriptors, descriptors])
        self._points = np.vstack([self._points, points])
        self._owner = np.concatenate([self._owner, np.full(len(descriptors), index, np.int32)])

    def add_files(self, images: dict[str, list[str]]) -> None:
        """Index the reference images of products (GTIN → image paths); unreadable files are skipped."""
        for gtin, paths in images.items():
            for path in paths:
                data = cv2.imread(str(Path(path)), cv2.IMREAD_COLOR)
                if data is not None:
                    self.add(gtin, cv2.cvtColor(data, cv2.COLOR_BGR2RGB))

    def match(self, pixels: np.ndarray, limit: int = 3) -> list[AppearanceMatch]:
        if not self._gtins:
            return []
        points, descriptors = self._features(pixels)
        if len(descriptors) < 10:
            return []
        with self._lock:
            if self._matcher is None:
                # Locality-sensitive hashing over all reference descriptors: a k-NN query costs milliseconds
                # where brute force over the whole catalog costs a second.
                self._matcher = cv2.FlannBasedMatcher(
                    {"algorithm": 6, "table_number": 8, "key_size": 20, "multi_probe_level": 1}, {"checks": 64}
                )
                self._matcher.add([self._descriptors])
                self._matcher.train()
            pairs = self._matcher.knnMatch(descriptors, k=2)
        good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < RATIO * p[1].distance]
        if not good:
            return []
        owners = self._owner[[m.trainIdx for m in good]]
        votes = np.bincount(owners, minlength=len(self._gtins))
        results = []
        for product in np.argsort(-votes)[:VERIFY]:
            mine = [m for m, o in zip(good, owners, strict=True) if o == product]
            if len(mine) < 8:
                continue
            src = points[[m.queryIdx for m in mine]]
            dst = self._points[[m.trainIdx for m in mine]]
            homography, mask = cv2.findHomography(src, dst, cv2.RANSAC, 6.0)
            inliers = int(mask.sum()) if homography is not None and mask is not None else 0
            if inliers >= 8:
                confidence = min(1.0, inliers / INLIERS_FOR_CERTAINTY)
                results.append(AppearanceMatch(self._gtins[product], inliers, round(confidence, 3)))
        results.sort(key=lambda r: -r.inliers)
        return results[:limit]
