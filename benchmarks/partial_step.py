"""The training step of a partly Bayesian LeNet-5 against its twin's, interleaved.

``python -m benchmarks.partial_step [--threads 1] [--rounds 15]``: ms per step (batch
256, the engine's :class:`bayescnn.train.TrainStep` on the ELBO, Adam) of the frequentist
twin, the network with every layer Bayesian (flipout), a Bayesian head (``fc*``) and a
Bayesian last layer (``fc3``), all at rho scale 1, with each one's median same-round
ratio to the twin. The ratio bounds a single network's training cost against a deep
ensemble of 5 (5x).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from functools import partial

import torch

from bayescnn.models import create
from bayescnn.reports import markdown_table
from bayescnn.train import ELBO, TrainStep
from benchmarks.timing import interleaved, median, paired_ratio
from benchmarks.training import EVERY_LAYER_BAYESIAN

VARIANTS: dict[str, dict[str, object]] = {
    "frequentist twin": {"bayesian": False},
    "Bayesian, every layer": EVERY_LAYER_BAYESIAN,
    "Bayesian head (fc*)": {"bayesian_layers": "fc*", "rho_scale": 1.0},
    "Bayesian last layer (fc3)": {"bayesian_layers": "fc3", "rho_scale": 1.0},
}


def measure(rounds: int, reps: int = 5) -> dict[str, list[float]]:
    """Seconds per step of every variant, per round, on one fixed random batch."""
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(256, 1, 32, 32, generator=generator)
    labels = torch.randint(0, 10, (256,), generator=generator)
    steps = {}
    for name, options in VARIANTS.items():
        torch.manual_seed(0)
        model = create("lenet", in_channels=1, **options)  # type: ignore[arg-type]
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        steps[name] = partial(TrainStep(model, ELBO(num_train=60_000), optimizer), inputs, labels)
    return interleaved(steps, rounds=rounds, reps=reps, warmup=3)


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    """Prints ms per step and the ratio to the twin; returns the ratios."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.partial_step")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    samples = measure(args.rounds)
    twin = samples["frequentist twin"]
    ratios = {name: paired_ratio(times, twin) for name, times in samples.items()}
    header = ["model", "ms/step", "x twin", "x a deep ensemble of 5"]
    cells = [
        [name, f"{median(times) * 1e3:.1f}", f"{ratios[name]:.2f}", f"{ratios[name] / 5:.2f}"]
        for name, times in samples.items()
    ]
    print(markdown_table(header, cells, align="<"))
    return ratios


if __name__ == "__main__":
    main()
