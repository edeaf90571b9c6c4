"""Whether held-out data supports a temperature: :func:`weigh_temperature_evidence`.

A temperature fitted on a small or perfectly separated held-out set is noise. With no
misclassified held-out example the NLL keeps falling as ``T -> 0``, so the fit runs to
the bottom of its search and every later prediction comes out near-certain, which
undoes what a Bayesian predictive is for. Before a fitted temperature is kept, the
held-out set must show:

1. at least :data:`~bayescnn.defaults.CALIBRATION_MIN_EXAMPLES` examples and
   :data:`~bayescnn.defaults.CALIBRATION_MIN_ERRORS` misclassified ones (the argmax of
   the raw predictive): the errors are what bound a sharpening temperature and drive a
   softening one;
2. a K-fold cross-validated gain: a temperature fitted on K - 1 folds must lower the NLL
   of the fold it was not fitted on, summed over the folds, below the NLL at ``T = 1``
   (so the temperature generalises to held-out data it did not see).

Otherwise ``T = 1`` is kept and the reason is one line naming the examples and errors
seen. The thresholds were chosen by subsampling the validation splits of the default
LeNet-5 (``python -m benchmarks.temperature_evidence``, seed 0): fitting always made the
test NLL worse than ``T = 1`` in most draws of 100 images or fewer (MNIST 42-79%,
Fashion-MNIST 73-89%); with the rule, in none on MNIST at any size, and on the full
validation splits the rule kept both fits, so the zoo's calibrated numbers are unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from bayescnn import defaults
from bayescnn.calibration.fitting import fit_temperature, tempered_nll
from bayescnn.calibration.temperature import TemperatureForm

__all__ = ["TemperatureEvidence", "weigh_temperature_evidence"]


@dataclass(frozen=True)
class TemperatureEvidence:
    """What the held-out set showed about a temperature.

    Attributes:
        examples: Held-out examples ``N``.
        errors: Of them, misclassified by the raw predictive's argmax.
        nll_raw_cv: Out-of-fold NLL at ``T = 1`` (None when not reached).
        nll_fitted_cv: Out-of-fold NLL at the temperatures fitted on the other folds.
        reason: Why the temperature is declined, one line; None when it is supported.
    """

    examples: int
    errors: int
    nll_raw_cv: float | None = None
    nll_fitted_cv: float | None = None
    reason: str | None = None

    @property
    def supported(self) -> bool:
        return self.reason is None


def _folds(count: int, folds: int) -> list[Tensor]:
    """``folds`` disjoint index sets covering ``range(count)``, in a fixed shuffled order
    (a seeded generator of their own: the caller's random state is not touched)."""
    order = torch.randperm(count, generator=torch.Generator().manual_seed(0))
    return [part for part in order.tensor_split(folds) if part.numel()]


def weigh_temperature_evidence(
    logit_samples: Tensor,
    labels: Tensor,
    *,
    form: str | TemperatureForm = defaults.TEMPERATURE_FORM,
    min_examples: int = defaults.CALIBRATION_MIN_EXAMPLES,
    min_errors: int = defaults.CALIBRATION_MIN_ERRORS,
    folds: int = defaults.CALIBRATION_FOLDS,
) -> TemperatureEvidence:
    """Whether ``(S, N, K)`` held-out logit samples support fitting a temperature.

    Args:
        logit_samples: Raw logits of ``S`` posterior samples, ``(S, N, K)``.
        labels: ``(N,)`` true classes.
        form: The temperature's form (:class:`~bayescnn.calibration.TemperatureForm`).
        min_examples, min_errors: The least held-out evidence to fit on at all.
        folds: K of the cross-validated check (>= 2).
    """
    samples = logit_samples.unsqueeze(0) if logit_samples.ndim == 2 else logit_samples
    samples, labels = samples.detach().cpu().double(), labels.detach().cpu().long()
    examples = int(labels.numel())
    predicted = torch.softmax(samples, dim=-1).mean(0).argmax(-1)
    errors = int((predicted != labels).sum())
    seen = f"{examples} held-out example{'s' * (examples != 1)}, {errors} misclassified"
    if examples < min_examples or errors < min_errors:
        need = f"at least {min_examples} examples and {min_errors} misclassified"
        cause = (
            "a perfectly separated held-out set favours ever sharper predictions"
            if errors == 0
            else "too little evidence to fit a temperature"
        )
        return TemperatureEvidence(examples, errors, reason=f"{seen}: {cause} ({need} needed)")
    raw = fitted = 0.0
    for held in _folds(examples, folds):
        rest = torch.ones(examples, dtype=torch.bool)
        rest[held] = False
        temperature = fit_temperature(samples[:, rest], labels[rest], form=form)
        weight = held.numel() / examples
        raw += weight * tempered_nll(samples[:, held], labels[held], 1.0, form=form)
        fitted += weight * tempered_nll(samples[:, held], labels[held], temperature, form=form)
    if not (math.isfinite(fitted) and fitted < raw):
        return TemperatureEvidence(
            examples,
            errors,
            raw,
            fitted,
            reason=(
                f"{seen}: a temperature fitted on {folds - 1} of {folds} folds did not lower "
                f"the NLL of the fold it was not fitted on ({fitted:.4f} against {raw:.4f} "
                "at T = 1)"
            ),
        )
    return TemperatureEvidence(examples, errors, raw, fitted)
