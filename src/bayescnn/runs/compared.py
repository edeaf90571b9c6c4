"""Models scored side by side (``bayescnn evaluate``, ``bayescnn uncertainty --compare``):
one run, or several runs of one dataset averaged as a deep ensemble."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from bayescnn.errors import InvalidArgumentError
from bayescnn.nn import Ensemble
from bayescnn.runs.files import LoadedRun, RunFiles, open_run

__all__ = ["ComparedModel", "load_compared", "split_run_groups"]


@dataclass(frozen=True)
class ComparedModel:
    """A model to score, the run that describes its data, and what training it cost.

    Attributes:
        label: the run folder's name, or ``ensemble of N (first, ...)``.
        model: the run's model, or the :class:`bayescnn.nn.Ensemble` of the runs' models.
        run: the (first) run: its config and data spec say how to load the data.
        members: the number of runs (1 for a single run).
        train_seconds: the training time of all the runs together.
    """

    label: str
    model: nn.Module
    run: LoadedRun
    members: int
    train_seconds: float


def _train_seconds(run: LoadedRun) -> float:
    rows = RunFiles(run.checkpoint.parent).read_metrics()
    seconds: float = sum(row.get("seconds", 0.0) for row in rows)
    return seconds


def load_compared(paths: Sequence[str], device: torch.device) -> ComparedModel:
    """One run, or an ensemble of several runs of the same dataset (deep ensemble)."""
    runs = [open_run(path, device=device) for path in paths]
    first = runs[0]
    others = {run.config.dataset for run in runs[1:]} - {first.config.dataset}
    if others:
        raise InvalidArgumentError(
            f"an ensemble's runs must share a dataset: {first.config.dataset} vs {sorted(others)}"
        )
    label = (
        Path(paths[0]).name
        if len(runs) == 1
        else f"ensemble of {len(runs)} ({Path(paths[0]).name}, ...)"
    )
    model = first.model if len(runs) == 1 else Ensemble(run.model for run in runs).to(device)
    return ComparedModel(label, model, first, len(runs), sum(_train_seconds(r) for r in runs))


def split_run_groups(values: Sequence[str] | None) -> list[list[str]]:
    """``--compare`` values: each one model, its runs separated by commas (an ensemble)."""
    return [[part for part in value.split(",") if part] for value in values or []]
