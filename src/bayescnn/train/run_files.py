"""The files of a run folder, and loading a trained model back from one."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from bayescnn import models
from bayescnn.data import DatasetSpec, get_spec
from bayescnn.io import atomic_write_bytes, load_checkpoint, load_model_state
from bayescnn.priors import GaussianPrior, Prior, ScaleMixturePrior
from bayescnn.train.config import TrainConfig


@dataclass(frozen=True)
class RunFiles:
    """Where a run keeps what it writes."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.yaml"

    @property
    def metrics(self) -> Path:
        return self.root / "metrics.jsonl"

    @property
    def last(self) -> Path:
        return self.root / "last.safetensors"

    @property
    def best(self) -> Path:
        return self.root / "best.safetensors"

    @property
    def test(self) -> Path:
        return self.root / "test.json"

    @property
    def log(self) -> Path:
        return self.root / "train.log"

    def write_metrics(self, rows: list[dict[str, Any]]) -> None:
        """Rewrite ``metrics.jsonl`` atomically from the full history."""
        text = "".join(json.dumps(row) + "\n" for row in rows)
        atomic_write_bytes(self.metrics, text.encode())

    def read_metrics(self) -> list[dict[str, Any]]:
        if not self.metrics.is_file():
            return []
        return [json.loads(line) for line in self.metrics.read_text().splitlines() if line.strip()]


def build_prior(config: TrainConfig) -> Prior:
    """The prior a config asks for."""
    if config.prior == "mixture":
        return ScaleMixturePrior(config.prior_pi, config.prior_sigma1, config.prior_sigma2)
    return GaussianPrior(config.prior_mu, config.prior_sigma)


def build_model(config: TrainConfig, spec: DatasetSpec) -> nn.Module:
    """The model a config asks for, shaped for the dataset."""
    return models.create(
        config.model,
        bayesian=config.bayesian,
        num_classes=spec.num_classes,
        in_channels=spec.in_channels,
        image_size=config.image_size,
        estimator=config.estimator,
        prior=build_prior(config),
        activation=config.activation,
        posterior_mu_init=None
        if config.posterior_mu_init is None
        else tuple(config.posterior_mu_init),
        posterior_rho_init=tuple(config.posterior_rho_init),
    )


@dataclass(frozen=True)
class LoadedRun:
    """A trained model with the config and dataset spec it was trained with."""

    model: nn.Module
    config: TrainConfig
    spec: DatasetSpec
    checkpoint: Path


def find_checkpoint(path: str | Path) -> Path:
    """The checkpoint a run folder or file path names (a folder's best, else its last)."""
    path = Path(path)
    if path.is_dir():
        files = RunFiles(path)
        for candidate in (files.best, files.last):
            if candidate.is_file():
                return candidate
        raise FileNotFoundError(
            f"{path} holds no best.safetensors or last.safetensors; is it a run folder?"
        )
    if not path.is_file():
        raise FileNotFoundError(f"no run folder or checkpoint at {path}")
    return path


def load_run(path: str | Path, *, device: str | torch.device = "cpu") -> LoadedRun:
    """Rebuild the model of a run folder or checkpoint file and load its weights."""
    checkpoint_path = find_checkpoint(path)
    checkpoint = load_checkpoint(checkpoint_path, map_location=device)
    config = TrainConfig.from_dict(checkpoint.metadata["config"])
    spec = get_spec(config.dataset)
    model = build_model(config, spec).to(device)
    load_model_state(model, checkpoint.model_state)
    return LoadedRun(model, config, spec, checkpoint_path)
