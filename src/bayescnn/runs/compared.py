"""Methods the command line scores side by side: a run, or several runs as an ensemble."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from bayescnn.errors import InvalidArgumentError
from bayescnn.nn import Ensemble
from bayescnn.runs.files import LoadedRun, RunFiles, load_run


@dataclass(frozen=True)
class Method:
    """A model to score, the run that describes its data, and what training it cost."""

    label: str
    model: nn.Module
    run: LoadedRun
    members: int
    train_seconds: float


def _train_seconds(run: LoadedRun) -> float:
    return sum(row.get("seconds", 0.0) for row in RunFiles(run.checkpoint.parent).read_metrics())


def load_method(paths: Sequence[str], device: torch.device) -> Method:
    """One run, or an ensemble of several runs of the same dataset (deep ensemble)."""
    runs = [load_run(path, device=device) for path in paths]
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
    return Method(label, model, first, len(runs), sum(_train_seconds(run) for run in runs))


def split_methods(values: Sequence[str] | None) -> list[list[str]]:
    """``--compare`` values: each one method, its runs separated by commas (an ensemble)."""
    return [[part for part in value.split(",") if part] for value in values or []]
