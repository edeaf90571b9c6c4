"""Post-hoc temperature scaling of the Monte-Carlo predictive, all of it.

* :func:`calibrate` fits one temperature on held-out batches and keeps it with the model
  (:func:`calibrate_logits` from logit samples already drawn, :func:`held_out_logits` the
  pass), when the held-out evidence supports one (:func:`weigh_temperature_evidence`).
* The temperature kept with a model: :func:`set_temperature`, :func:`temperature_of`,
  :func:`temperature_form` (:class:`TemperatureForm`: pooled or per sample), its buffers
  in the state dict and :func:`register_temperature_state`, which lets a freshly built
  model load a calibrated state dict. Every prediction path applies it.
* The fit itself, on ``(S, N, K)`` logit samples: :func:`fit_temperature`,
  :func:`tempered_nll`, and :func:`temper_predictive` for an averaged predictive.

``bayescnn train`` and ``bayescnn calibrate`` fit a run's temperature on its validation
split and keep it in the run folder (:mod:`bayescnn.runs`).
"""

from bayescnn.calibration.evidence import TemperatureEvidence, weigh_temperature_evidence
from bayescnn.calibration.fitting import fit_temperature, tempered_nll
from bayescnn.calibration.scaling import (
    CalibrationDeclinedWarning,
    TemperatureFit,
    calibrate,
    calibrate_logits,
    held_out_logits,
)
from bayescnn.calibration.temperature import (
    POOLED_BUFFER,
    TEMPERATURE_BUFFER,
    TemperatureForm,
    load_temperature,
    register_temperature_state,
    set_temperature,
    temper_predictive,
    temperature_form,
    temperature_of,
)

__all__ = [
    "POOLED_BUFFER",
    "TEMPERATURE_BUFFER",
    "CalibrationDeclinedWarning",
    "TemperatureEvidence",
    "TemperatureFit",
    "TemperatureForm",
    "calibrate",
    "calibrate_logits",
    "fit_temperature",
    "held_out_logits",
    "load_temperature",
    "register_temperature_state",
    "set_temperature",
    "temper_predictive",
    "temperature_form",
    "temperature_of",
    "tempered_nll",
    "weigh_temperature_evidence",
]
