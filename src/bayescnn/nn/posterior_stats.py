"""Deprecated: the posterior's statistics live in :mod:`bayescnn.analysis`; this module goes
in 0.3.0."""

from bayescnn.deprecation import module_getattr

__getattr__ = module_getattr(
    __name__,
    {
        name: f"bayescnn.analysis.{name}"
        for name in ("LayerStatistics", "layer_statistics", "signal_to_noise")
    },
)
