"""The embedded models: where each comes from, its checksum, how it is assembled, verified and found."""

from glassmate.weights.catalog import CATALOG, Artifact, ModelSpec, Part, get_spec
from glassmate.weights.store import ModelStatus, WeightStore

__all__ = ["CATALOG", "Artifact", "ModelSpec", "ModelStatus", "Part", "WeightStore", "get_spec"]
