"""Section 2: S-sample prediction, vectorised ``sample_forward`` vs a loop of single passes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

import bayescnn
from bayescnn.models import create
from benchmarks.report import Row, Target
from benchmarks.timing import interleaved, median, paired_ratio, synchronizer
from benchmarks.training import ESTIMATORS, EVERY_LAYER_BAYESIAN

PREDICT_TARGET = Target(1.5, at_most=False)


def loop_forward(model: nn.Module, inputs: torch.Tensor, num_samples: int) -> torch.Tensor:
    """``num_samples`` single forward passes, each with a fresh weight draw, stacked."""
    return torch.stack([model(inputs) for _ in range(num_samples)])


def bench_predict(
    device: torch.device,
    *,
    estimators: Sequence[str] = ESTIMATORS,
    num_samples: int = bayescnn.defaults.SAMPLES,
    batch_size: int = 256,
    chunk_sizes: Sequence[int] = (),
    rounds: int = 5,
    warmup: int = 1,
    seed: int = 0,
) -> list[Row]:
    """Time S-sample prediction of LeNet (1x32x32, every layer Bayesian) per estimator,
    under ``torch.no_grad``.

    Variants: ``loop`` (S single passes), ``vectorised`` (one ``sample_forward`` call)
    and, for information, ``vectorised chunk=c`` for each ``c`` in ``chunk_sizes``.
    The ratio is loop time / variant time (> 1: the variant is faster).
    """
    sync = synchronizer(device)
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(batch_size, 1, 32, 32, generator=generator).to(device)
    torch.manual_seed(seed)
    rows: list[Row] = []
    for estimator in estimators:
        model = create(
            "lenet", estimator=estimator, in_channels=1, image_size=32, **EVERY_LAYER_BAYESIAN
        ).to(device)
        model.eval()
        variants: dict[str, Callable[[], object]] = {
            "loop": _no_grad(lambda m=model: loop_forward(m, inputs, num_samples)),
            "vectorised": _no_grad(lambda m=model: bayescnn.sample_forward(m, inputs, num_samples)),
        }
        for chunk in chunk_sizes:
            variants[f"vectorised chunk={chunk}"] = _no_grad(
                lambda m=model, c=chunk: bayescnn.sample_forward(
                    m, inputs, num_samples, chunk_size=c
                )
            )
        samples = interleaved(variants, rounds=rounds, warmup=warmup, sync=sync)
        loop = samples["loop"]
        for variant, times in samples.items():
            is_loop = variant == "loop"
            rows.append(
                Row(
                    section=f"2. prediction, LeNet, S={num_samples}, batch {batch_size}",
                    name=f"{estimator} {variant}",
                    value=median(times) * 1e3,
                    unit="ms",
                    ratio=None if is_loop else paired_ratio(loop, times),
                    ratio_of="" if is_loop else "x faster than loop",
                    target=PREDICT_TARGET if variant == "vectorised" else None,
                    samples=[t * 1e3 for t in times],
                )
            )
    return rows


def _no_grad(call: Callable[[], object]) -> Callable[[], object]:
    def wrapped() -> object:
        with torch.no_grad():
            return call()

    return wrapped


LOOP_TARGET = Target(1.0, at_most=False)
PREDICT_BATCHES = (16, 64, 256, 512)


def user_loop(model: nn.Module, inputs: torch.Tensor, num_samples: int) -> torch.Tensor:
    """What a user writes instead of ``predict``: S stochastic passes, mean softmax."""
    with torch.no_grad():
        return torch.stack([model(inputs).softmax(-1) for _ in range(num_samples)]).mean(0)


def bench_predict_vs_loop(
    device: torch.device,
    *,
    estimators: Sequence[str] = ESTIMATORS,
    num_samples: int = bayescnn.defaults.SAMPLES,
    batch_sizes: Sequence[int] = PREDICT_BATCHES,
    rounds: int = 5,
    seed: int = 0,
) -> list[Row]:
    """Section 6: ``bayescnn.predict`` against a user's loop, LeNet (every layer
    Bayesian), every estimator and batch.

    Variants: ``loop`` (:func:`user_loop`), ``predict`` asking for probabilities only
    (``decomposition=(), scores=()``) and ``predict, all summaries`` (the default). The
    ratio is loop time / variant time; the target is >= 1.0 with or without
    ``tune_cpu_allocator`` (run once with ``BAYESCNN_KEEP_MALLOC=1`` for the latter).
    """
    generator = torch.Generator().manual_seed(seed)
    rows: list[Row] = []
    for estimator in estimators:
        model = create(
            "lenet", estimator=estimator, in_channels=1, image_size=32, **EVERY_LAYER_BAYESIAN
        ).to(device)
        model.eval()
        for batch in batch_sizes:
            inputs = torch.randn(batch, 1, 32, 32, generator=generator).to(device)
            variants: dict[str, Callable[[], object]] = {
                "loop": lambda m=model, x=inputs: user_loop(m, x, num_samples),
                "predict": lambda m=model, x=inputs: bayescnn.predict(
                    m, x, samples=num_samples, batch_size=len(x), decomposition=(), scores=()
                ),
                "predict, all summaries": lambda m=model, x=inputs: bayescnn.predict(
                    m, x, samples=num_samples, batch_size=len(x)
                ),
            }
            samples = interleaved(variants, rounds=rounds, warmup=1, sync=synchronizer(device))
            loop = samples["loop"]
            for variant, times in samples.items():
                is_loop = variant == "loop"
                rows.append(
                    Row(
                        section=f"6. bayescnn.predict vs a loop, LeNet, S={num_samples}",
                        name=f"{estimator} batch {batch} {variant}",
                        value=median(times) * 1e3,
                        unit="ms",
                        ratio=None if is_loop else paired_ratio(loop, times),
                        ratio_of="" if is_loop else "x faster than loop",
                        target=LOOP_TARGET if variant == "predict" else None,
                        samples=[t * 1e3 for t in times],
                    )
                )
    return rows
