"""Deprecated: pruning lives in :mod:`bayescnn.analysis`; this module goes in 0.3.0."""

from bayescnn.deprecation import module_getattr

__getattr__ = module_getattr(
    __name__,
    {name: f"bayescnn.analysis.{name}" for name in ("prune_by_magnitude", "prune_by_snr")},
)
