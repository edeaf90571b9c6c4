"""Deprecated: temperature scaling lives in :mod:`bayescnn.calibration`; this module goes
in 0.3.0."""

from bayescnn.deprecation import module_getattr

__getattr__ = module_getattr(
    __name__,
    {
        **{
            name: f"bayescnn.calibration.{name}"
            for name in (
                "POOLED_BUFFER",
                "TEMPERATURE_BUFFER",
                "TemperatureForm",
                "fit_temperature",
                "load_temperature",
                "register_temperature_state",
                "set_temperature",
                "temper_predictive",
                "temperature_form",
                "temperature_of",
            )
        },
        **{
            name: f"bayescnn.calibration.temperature.{name}"
            for name in ("apply_temperature", "divide_by_temperature", "pooled_temperature")
        },
        "check_held_out": "bayescnn.calibration.fitting.check_held_out",
        "predictive_nll": "bayescnn.calibration.tempered_nll",
    },
)
