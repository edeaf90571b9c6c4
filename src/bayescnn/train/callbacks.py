"""The pieces :func:`bayescnn.fit` can be given: divergence guard, progress, metrics file."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from bayescnn.io import atomic_write_bytes, check_writable_file
from bayescnn.runtime.progress import DEFAULT_INTERVAL, Ticker, interactive, logged, report
from bayescnn.train.errors import DivergenceError
from bayescnn.train.hooks import Callback, FitState, format_row

__all__ = ["DivergenceGuard", "MetricsFile", "ProgressBar", "read_metrics"]

log = logging.getLogger("bayescnn.train")


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


class ProgressBar(Callback):
    """Each epoch's progress: a tqdm bar on a terminal, else a logged line every few seconds.

    On an interactive terminal (not under CI) a tqdm bar per epoch shows the running loss,
    refreshed every ``every`` steps. Otherwise (output piped to a file or a scheduler's
    log) a line such as ``epoch 3/10: step 120/188 (64%), loss 0.4123, 41 s`` is logged
    through the ``bayescnn.train`` logger every ``interval`` seconds. Rank 0 only.

    Args:
        every: steps between refreshes of the bar's loss (each costs one device sync).
        enabled: False shows nothing.
        interval: seconds between logged lines (0: one per step).
        bar: True draws the bar, False logs lines; default: the bar on an interactive
            terminal.
        clock: a monotonic clock in seconds (tests pass a fake one).
    """

    def __init__(
        self,
        every: int = 50,
        enabled: bool = True,
        *,
        interval: float = DEFAULT_INTERVAL,
        bar: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.every = max(1, every)
        self.enabled = enabled
        self.interval = interval
        self.bar = bar
        self._ticker = Ticker(interval, clock)
        self._bar: tqdm[Any] | None = None
        self._logging = False
        self._examples = 0

    def on_epoch_start(self, state: FitState) -> None:
        self._examples = 0
        show = self.enabled and state.dist.is_main
        draw = self.bar if self.bar is not None else interactive()
        self._logging = show and not draw
        self._ticker.start()
        if show and draw:
            self._bar = tqdm(
                total=state.steps or None,
                desc=f"epoch {state.epoch + 1}/{state.epochs}",
                leave=False,
            )

    def _running_loss(self, state: FitState) -> float:
        assert state.totals is not None
        return state.totals[0].item() / max(self._examples, 1)

    def on_step_end(self, state: FitState, terms: Any) -> None:
        self._examples += terms.logits.shape[1]
        if self._bar is not None:
            self._bar.total = state.steps
            self._bar.update(1)
            if (state.step + 1) % self.every == 0:
                self._bar.set_postfix(loss=f"{self._running_loss(state):.4f}")
        elif self._logging and self._ticker.due():
            done = state.step + 1
            report(
                "epoch %d/%d: step %d/%d (%.0f%%), loss %.4f, %.0f s",
                state.epoch + 1,
                state.epochs,
                done,
                state.steps,
                100 * done / max(state.steps, 1),
                self._running_loss(state),
                self._ticker.elapsed,
            )

    def on_epoch_end(self, state: FitState, row: dict[str, Any]) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        self._logging = False
        if self.enabled and state.dist.is_main and not logged():
            report("%s", format_row(row))  # fit logs the row, but it would show nowhere


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a ``metrics.jsonl`` file (none if it does not exist)."""
    path = Path(path)
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class MetricsFile(Callback):
    """Keep the history as ``metrics.jsonl``: one JSON row per epoch, rewritten atomically.

    A resumed run's history comes from its checkpoint (put this callback after the one
    that restores), and the file is rewritten from it at once: rows of epochs the
    checkpoint does not hold go, and rows it holds but the file lacks (a process killed
    after saving the checkpoint, before writing this file) come back. A checkpoint
    without a history (written before it held one) reads back the file's rows. The
    file's folder is created (and checked writable) before the first epoch.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def on_fit_start(self, state: FitState) -> None:
        if state.dist.is_main:
            check_writable_file(self.path, what="metrics file", example="metrics.jsonl")
        if state.start_epoch > 0:
            if not state.history:
                state.history = [
                    row for row in read_metrics(self.path) if row["epoch"] <= state.start_epoch
                ]
            self._write(state)

    def on_epoch_end(self, state: FitState, row: dict[str, Any]) -> None:
        self._write(state)

    def _write(self, state: FitState) -> None:
        if state.dist.is_main:
            text = "".join(json.dumps(r) + "\n" for r in state.history)
            atomic_write_bytes(self.path, text.encode())
