"""Deprecated: the held-out evidence for a temperature is weighed in
:mod:`bayescnn.calibration`; this module goes in 0.3.0."""

from bayescnn.deprecation import module_getattr

__getattr__ = module_getattr(
    __name__,
    {
        name: f"bayescnn.calibration.{name}"
        for name in ("TemperatureEvidence", "weigh_temperature_evidence")
    },
)
