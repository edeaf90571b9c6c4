"""Sections 1 and 4: the training step and one training epoch, Bayesian vs frequentist."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

import bayescnn
from bayescnn.data import ImageData, InMemoryLoader
from bayescnn.models import create
from benchmarks.report import Row, Target
from benchmarks.timing import interleaved, median, paired_ratio, synchronizer

ESTIMATORS = ("bbb", "lrt", "flipout")
STEP_TARGETS = {
    "bbb": Target(1.15, at_most=True),
    "lrt": Target(2.0, at_most=True),
    "flipout": Target(2.2, at_most=True),
}
MODEL_CHANNELS = {"lenet": 1, "3conv3fc": 3}
"""The architectures of section 1 and the channels of their inputs (32x32)."""
FASHION_MNIST_TRAIN_SIZE = 60_000
"""N of the ELBO's KL / N term."""


def build(
    name: str, estimator: str | None, in_channels: int, device: torch.device
) -> tuple[nn.Module, torch.optim.Optimizer]:
    """A fresh model (frequentist when ``estimator`` is None) and its Adam optimiser."""
    model = create(
        name,
        bayesian=estimator is not None,
        estimator=estimator or "lrt",
        in_channels=in_channels,
        num_classes=10,
        image_size=32,
    ).to(device)
    model.train()
    # as the training loop does: Adam's fused kernel on CUDA
    return model, torch.optim.Adam(model.parameters(), lr=1e-3, fused=device.type == "cuda")


def train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    *,
    bayesian: bool,
    dataset_size: int,
) -> torch.Tensor:
    """One step: forward, loss (cross-entropy, + KL / N if Bayesian), backward, Adam."""
    optimizer.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(inputs), labels)
    if bayesian:
        loss = loss + bayescnn.kl_divergence(model, validate=False) / dataset_size
    loss.backward()
    optimizer.step()
    return loss.detach()


def variant_name(estimator: str | None) -> str:
    """'frequentist' or the estimator's name."""
    return estimator or "frequentist"


def bench_train_step(
    device: torch.device,
    *,
    models: Sequence[str] = tuple(MODEL_CHANNELS),
    estimators: Sequence[str] = ESTIMATORS,
    batch_size: int = 256,
    rounds: int = 7,
    reps: dict[str, int] | None = None,
    warmup: int = 2,
    seed: int = 0,
) -> list[Row]:
    """Section 1: ms per training step of each estimator and of the frequentist twin.

    All variants of one architecture run on the same fixed random batch and are
    interleaved; the ratio is the median over rounds of (Bayesian / frequentist).
    """
    sync = synchronizer(device)
    rows: list[Row] = []
    for name in models:
        channels = MODEL_CHANNELS[name]
        generator = torch.Generator().manual_seed(seed)
        inputs = torch.randn(batch_size, channels, 32, 32, generator=generator).to(device)
        labels = torch.randint(0, 10, (batch_size,), generator=generator).to(device)
        torch.manual_seed(seed)
        variants: dict[str, Callable[[], object]] = {}
        for estimator in (None, *estimators):
            model, optimizer = build(name, estimator, channels, device)
            variants[variant_name(estimator)] = _bind_step(
                model, optimizer, inputs, labels, estimator is not None
            )
        samples = interleaved(
            variants,
            rounds=rounds,
            reps=(reps or {}).get(name, 1),
            warmup=warmup,
            sync=sync,
        )
        base = samples["frequentist"]
        for variant, times in samples.items():
            bayes = variant != "frequentist"
            rows.append(
                Row(
                    section=f"1. training step, batch {batch_size}",
                    name=f"{name} {variant}",
                    value=median(times) * 1e3,
                    unit="ms/step",
                    ratio=paired_ratio(times, base) if bayes else None,
                    ratio_of="x frequentist" if bayes else "",
                    target=STEP_TARGETS.get(variant),
                    samples=[t * 1e3 for t in times],
                )
            )
    return rows


def _bind_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    bayesian: bool,
) -> Callable[[], object]:
    def step() -> object:
        return train_step(
            model,
            optimizer,
            inputs,
            labels,
            bayesian=bayesian,
            dataset_size=FASHION_MNIST_TRAIN_SIZE,
        )

    return step


class EpochRunner:
    """Trains one model for (part of) an epoch per call; records the last loss of each."""

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        loader: InMemoryLoader,
        *,
        bayesian: bool,
        dataset_size: int,
        max_batches: int,
    ) -> None:
        self.model, self.optimizer, self.loader = model, optimizer, loader
        self.bayesian = bayesian
        self.dataset_size = dataset_size
        self.max_batches = max_batches
        self.epoch = 0
        self.losses: list[float] = []

    def __call__(self, max_batches: int | None = None) -> None:
        limit = self.max_batches if max_batches is None else max_batches
        self.loader.set_epoch(self.epoch)
        self.epoch += 1
        loss = None
        for index, (inputs, labels) in enumerate(self.loader):
            if index == limit:
                break
            loss = train_step(
                self.model,
                self.optimizer,
                inputs,
                labels,
                bayesian=self.bayesian,
                dataset_size=self.dataset_size,
            )
        if loss is not None:
            self.losses.append(float(loss))  # one host sync per epoch, after the loop


def bench_epoch(
    device: torch.device,
    train: ImageData,
    mean: Sequence[float],
    std: Sequence[float],
    *,
    estimator: str = "lrt",
    batch_size: int = 256,
    max_batches: int | None = None,
    rounds: int = 3,
    warmup_batches: int = 5,
    seed: int = 0,
) -> list[Row]:
    """Section 4: seconds per training epoch of LeNet on real data, Bayesian vs frequentist.

    Each variant trains on its own :class:`InMemoryLoader` (shuffled anew each round);
    ``max_batches`` stops an epoch early (the quick mode's fraction of an epoch).
    Each variant first trains ``warmup_batches`` untimed batches.
    """
    torch.manual_seed(seed)
    total_batches = -(-len(train) // batch_size)
    batches = total_batches if max_batches is None else min(max_batches, total_batches)
    runners: dict[str, EpochRunner] = {}
    for est in (None, estimator):
        model, optimizer = build("lenet", est, train.images.shape[1], device)
        loader = InMemoryLoader(
            train, batch_size, shuffle=True, seed=seed, device=device, mean=mean, std=std
        )
        runner = EpochRunner(
            model,
            optimizer,
            loader,
            bayesian=est is not None,
            dataset_size=len(train),
            max_batches=batches,
        )
        runner(warmup_batches)
        runners[variant_name(est)] = runner
    samples = interleaved(runners, rounds=rounds, warmup=0, sync=synchronizer(device))
    base = samples["frequentist"]
    note = "full epoch" if batches == total_batches else f"{batches}/{total_batches} batches"
    rows = []
    for name, times in samples.items():
        bayes = name != "frequentist"
        rows.append(
            Row(
                section=f"4. one training epoch, LeNet, real Fashion-MNIST, batch {batch_size}",
                name=f"lenet {name}",
                value=median(times),
                unit="s/epoch" if batches == total_batches else "s",
                ratio=paired_ratio(times, base) if bayes else None,
                ratio_of="x frequentist" if bayes else "",
                samples=times,
                note=f"{note}; last loss {runners[name].losses[-1]:.3f}",
            )
        )
    return rows
