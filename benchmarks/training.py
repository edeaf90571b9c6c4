"""Sections 1, 4 and 5: the training step and one training epoch, Bayesian vs frequentist,
and what :func:`bayescnn.fit` costs over a bare loop of the same steps.

Every step is the engine's own :class:`bayescnn.train.TrainStep` with the ELBO."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import torch
from torch import nn

import bayescnn
from bayescnn.data import ImageData, InMemoryLoader
from bayescnn.models import create
from bayescnn.train import ELBO, TrainStep
from benchmarks.report import Row, Target
from benchmarks.timing import interleaved, median, paired_ratio, synchronizer

ESTIMATORS = ("bbb", "lrt", "flipout")
STEP_TARGETS = {
    "bbb": Target(1.15, at_most=True),
    "lrt": Target(2.0, at_most=True),
    "flipout": Target(2.2, at_most=True),
}
MODEL_CHANNELS = {"lenet": 1, "3conv3fc": 3, "resnet18": 3}
"""The architectures section 1 can time and the channels of their inputs (32x32); the
default run times LeNet-5 and 3Conv3FC, ``--models resnet18`` adds ResNet-18 (CIFAR stem)."""
MODEL_BATCH_SIZES = {"resnet18": 128}
"""Batch sizes other than the section's (``batch_size``): ResNet-18 steps at 128."""
FASHION_MNIST_TRAIN_SIZE = 60_000
"""N of the ELBO's KL / N term."""
EVERY_LAYER_BAYESIAN: dict[str, object] = {"bayesian_layers": "all", "rho_scale": 1.0}
"""``models.create`` options of the network these benchmarks time: every weight layer
Bayesian at rho scale 1 (sigma = softplus(rho)), the zoo's default before issue #23 made
a single network's default a Bayesian head at rho scale 3; written out so that the
benchmarks keep measuring what their recorded results measured."""


def build(
    name: str, estimator: str | None, in_channels: int, device: torch.device
) -> tuple[nn.Module, TrainStep]:
    """A fresh model (frequentist when ``estimator`` is None) and the engine's training step
    on it: ELBO with N = 60,000, Adam (fused on CUDA), as ``bayescnn.fit`` trains. The
    Bayesian model has every weight layer Bayesian (:data:`EVERY_LAYER_BAYESIAN`)."""
    model = create(
        name,
        bayesian=estimator is not None,
        estimator=estimator or "lrt",
        in_channels=in_channels,
        num_classes=10,
        image_size=32,
        **EVERY_LAYER_BAYESIAN,  # type: ignore[arg-type]
    ).to(device)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, fused=device.type == "cuda")
    return model, TrainStep(model, ELBO(num_train=FASHION_MNIST_TRAIN_SIZE), optimizer)


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
        batch = MODEL_BATCH_SIZES.get(name, batch_size)
        generator = torch.Generator().manual_seed(seed)
        inputs = torch.randn(batch, channels, 32, 32, generator=generator).to(device)
        labels = torch.randint(0, 10, (batch,), generator=generator).to(device)
        torch.manual_seed(seed)
        variants: dict[str, Callable[[], object]] = {}
        for estimator in (None, *estimators):
            _, step = build(name, estimator, channels, device)
            variants[variant_name(estimator)] = partial(step, inputs, labels)
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
                    section=f"1. training step, batch {batch}",
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


class EpochRunner:
    """Trains one model for (part of) an epoch per call; records the last loss of each."""

    def __init__(self, step: TrainStep, loader: InMemoryLoader, *, max_batches: int) -> None:
        self.step, self.loader = step, loader
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
            loss = self.step(inputs, labels).loss.detach()
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
        _, step = build("lenet", est, train.images.shape[1], device)
        loader = InMemoryLoader(
            train, batch_size, shuffle=True, seed=seed, device=device, mean=mean, std=std
        )
        runner = EpochRunner(step, loader, max_batches=batches)
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


def bench_engine(
    device: torch.device,
    *,
    estimator: str = "lrt",
    batch_size: int = 256,
    batches: int = 20,
    rounds: int = 7,
    seed: int = 0,
) -> list[Row]:
    """Section 5: one epoch by ``bayescnn.fit`` against a bare loop of the same steps.

    Both train their own LeNet on the same synthetic in-memory data; ``fit`` adds what a
    run needs (seeded randomness per epoch, running sums, callback hooks, set_epoch).
    """
    generator = torch.Generator().manual_seed(seed)
    count = batch_size * batches
    data = ImageData(
        torch.randint(0, 256, (count, 1, 32, 32), dtype=torch.uint8, generator=generator),
        torch.randint(0, 10, (count,), generator=generator),
        tuple(str(k) for k in range(10)),
    )

    def loader() -> InMemoryLoader:
        return InMemoryLoader(
            data, batch_size, shuffle=True, seed=seed, device=device, mean=(0.5,), std=(0.5,)
        )

    _, bare_step = build("lenet", estimator, 1, device)
    bare_loader = loader()

    def bare_loop() -> None:
        for inputs, labels in bare_loader:
            bare_step(inputs, labels)

    engine_model, engine_step = build("lenet", estimator, 1, device)
    engine_loader = loader()

    def engine() -> None:
        bayescnn.fit(
            engine_model,
            engine_loader,
            epochs=1,
            objective=engine_step.objective,
            optimizer=engine_step.optimizer,
            seed=seed,
        )

    samples = interleaved(
        {"bare loop": bare_loop, "bayescnn.fit": engine},
        rounds=rounds,
        warmup=1,
        sync=synchronizer(device),
    )
    base = samples["bare loop"]
    section = f"5. bayescnn.fit vs a bare loop of its step, LeNet {estimator}, batch {batch_size}"
    return [
        Row(
            section=section,
            name=name,
            value=median(times),
            unit="s/epoch",
            ratio=None if name == "bare loop" else paired_ratio(times, base),
            ratio_of="" if name == "bare loop" else "x bare loop",
            target=None if name == "bare loop" else Target(1.02, at_most=True),
            samples=times,
            note=f"{batches} batches",
        )
        for name, times in samples.items()
    ]
