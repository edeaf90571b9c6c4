"""The pieces :func:`bayescnn.fit` can be given: divergence guard, progress, metrics file."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from bayescnn.io import atomic_write_bytes
from bayescnn.train.engine import Callback, FitState
from bayescnn.train.errors import DivergenceError

__all__ = ["DivergenceGuard", "MetricsFile", "ProgressBar", "read_metrics"]


class DivergenceGuard(Callback):
    """Stop with :class:`DivergenceError` when the loss or the KL stops being finite.

    Checks every ``every`` steps and at each epoch's last step (a check costs one
    device sync).

    Args:
        every: steps between checks.
        advice: what to suggest; ``{lr}`` is replaced by the current learning rate.
    """

    def __init__(
        self,
        every: int = 50,
        advice: str = "try a lower learning rate (now {lr}) or a smaller posterior_rho_init",
    ) -> None:
        self.every = max(1, every)
        self.advice = advice

    def on_step_end(self, state: FitState, terms: Any) -> None:
        last = state.step + 1 == state.steps
        if (state.step + 1) % self.every and not last:
            return
        assert state.totals is not None and state.kl is not None
        if not bool(torch.isfinite(state.totals[0]) & torch.isfinite(state.kl)):
            lr = state.optimizer.param_groups[0]["lr"]
            raise DivergenceError(
                f"the loss or KL became non-finite in epoch {state.epoch + 1} by step "
                f"{state.step + 1}; {self.advice.format(lr=lr)}"
            )


def _interactive() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI")


class ProgressBar(Callback):
    """A tqdm bar per epoch with the running loss, refreshed every ``every`` steps.

    Shown only on an interactive terminal (not under CI) unless ``enabled`` says so.
    """

    def __init__(self, every: int = 50, enabled: bool | None = None) -> None:
        self.every = max(1, every)
        self.enabled = enabled
        self._bar: tqdm | None = None

    def on_epoch_start(self, state: FitState) -> None:
        enabled = _interactive() if self.enabled is None else self.enabled
        self._bar = tqdm(
            total=state.steps or None,
            desc=f"epoch {state.epoch + 1}/{state.epochs}",
            leave=False,
            disable=not enabled or not state.dist.is_main,
        )

    def on_step_end(self, state: FitState, terms: Any) -> None:
        if self._bar is None or self._bar.disable:
            return
        self._bar.total = state.steps
        self._bar.update(1)
        if (state.step + 1) % self.every == 0:
            assert state.totals is not None
            examples = (state.step + 1) * terms.logits.shape[1]
            self._bar.set_postfix(loss=f"{state.totals[0].item() / examples:.4f}")

    def on_epoch_end(self, state: FitState, row: dict[str, Any]) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a ``metrics.jsonl`` file (none if it does not exist)."""
    path = Path(path)
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class MetricsFile(Callback):
    """Keep the history as ``metrics.jsonl``: one JSON row per epoch, rewritten atomically.

    The file is the history's only copy: a resumed run reads back the rows of the epochs
    its checkpoint holds (put this callback after the one that restores).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def on_fit_start(self, state: FitState) -> None:
        if state.start_epoch > 0:
            state.history = [
                row for row in read_metrics(self.path) if row["epoch"] <= state.start_epoch
            ]

    def on_epoch_end(self, state: FitState, row: dict[str, Any]) -> None:
        if state.dist.is_main:
            text = "".join(json.dumps(r) + "\n" for r in state.history)
            atomic_write_bytes(self.path, text.encode())
