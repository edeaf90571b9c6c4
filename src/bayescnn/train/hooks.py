"""What :func:`bayescnn.fit` shares with its callbacks: the :class:`FitState`, the
:class:`Callback` hooks, and an epoch's row as one line."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from bayescnn.train import distributed
from bayescnn.train.step import Objective

__all__ = ["Callback", "FitState", "format_row"]


@dataclass
class FitState:
    """What a training run is doing, shared with the callbacks.

    Attributes:
        epoch: the epoch being trained (0-based); ``start_epoch`` is the first of this
            call (a resuming callback sets it in ``on_fit_start``).
        step, steps: the minibatch being trained (0-based) and the minibatches per epoch.
        totals: this epoch's running sums on the device: loss x examples, NLL x examples,
            correct predictions.
        kl: the last step's KL (detached).
        history: one row of metrics per finished epoch.
        best_valid_nll: the best monitored NLL so far (validation, else training);
            ``improved`` says whether the last epoch set it.
    """

    model: nn.Module
    forward_model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: Any
    objective: Objective
    device: torch.device
    dist: distributed.Distributed
    epochs: int
    seed: int | None
    epoch: int = 0
    start_epoch: int = 0
    step: int = 0
    steps: int = 0
    totals: torch.Tensor | None = None
    kl: torch.Tensor | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    best_valid_nll: float = math.inf
    improved: bool = False


class Callback:
    """Hooks :func:`fit` calls; override the ones you need."""

    def on_fit_start(self, state: FitState) -> None:
        """Before the first epoch (restore a checkpoint here)."""

    def on_epoch_start(self, state: FitState) -> None:
        """Before an epoch's first step."""

    def on_step_end(self, state: FitState, terms: Any) -> None:
        """After each optimiser step; ``terms`` is the objective's output."""

    def on_epoch_end(self, state: FitState, row: dict[str, Any]) -> None:
        """After an epoch's validation; ``row`` is its metrics (already in the history)."""

    def on_fit_end(self, state: FitState) -> None:
        """After the last epoch."""


def format_row(row: dict[str, Any]) -> str:
    """An epoch's numbers on one line: ``epoch 3  train_loss 0.4123  ...`` (the per-layer
    tables and lists callbacks add to the row are left out)."""
    return "  ".join(
        f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
        for k, v in row.items()
        if not isinstance(v, dict | list)
    )
