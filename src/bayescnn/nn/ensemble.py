"""Deep ensembles (Lakshminarayanan et al. 2017) as one model.

An ensemble of M networks predicts p(y | x) = (1/M) sum_m p_m(y | x). Each member is
one Monte-Carlo sample of it (S samples of a member that samples itself), so
:func:`bayescnn.sample_forward`, :func:`bayescnn.predict` and the decompositions treat
the ensemble like any stochastic network: the mutual information across members is its
epistemic uncertainty.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import nn

from bayescnn.calibration.temperature import register_temperature_state
from bayescnn.errors import InvalidArgumentError
from bayescnn.nn.members import members_of

__all__ = ["Ensemble"]


class Ensemble(nn.Module):
    """M trained classifiers returning logits; ``forward`` gives the log of the mean
    probability, ``log((1/M) sum_m softmax(f_m(x)))``, which is a valid logit vector (a
    member that runs K members of its own counts as the mean of their probabilities)."""

    def __init__(self, members: Iterable[nn.Module]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)
        if len(self.members) < 2:
            raise InvalidArgumentError("an ensemble needs at least two members")
        register_temperature_state(self)  # calibrated as one predictive

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        log_probs = torch.stack([_log_mean_probs(member, x) for member in self.members])
        return torch.logsumexp(log_probs, dim=0) - math.log(len(self.members))


def _log_mean_probs(member: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """log p_m(y | x): of a member's logits, or averaged over a member's own member axis
    (:func:`bayescnn.nn.members_of`)."""
    log_probs: torch.Tensor = member(x).log_softmax(-1)
    count = members_of(member)
    if count == 1:
        return log_probs
    return torch.logsumexp(log_probs, dim=0) - math.log(count)
