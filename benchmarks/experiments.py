"""The runs behind the documentation's results, each a ``bayescnn train`` command line.

The defaults sweep varies one setting at a time, 10 epochs, LeNet-5, on Fashion-MNIST and
MNIST, and picks by validation NLL. Round 1 varies around the earlier defaults (lrt,
ReLU, prior N(0, 1), rho N(-5, 0.1), PyTorch's mu init), each run naming its estimator so
that it stays reproducible; flipout won it and became :mod:`bayescnn.defaults`. Round 2
varies around the new defaults (no estimator flag), and round 3 the posterior's spread
(``--rho-lr-scale``, ``--bayesian-layers``). The comparison adds the frequentist
twin, a deep ensemble of 5 (the twin with seeds 0-4) and MC dropout; the MNIST table adds
AlexNet and 3Conv3FC, Bayesian and frequentist.
"""

from __future__ import annotations

from dataclasses import dataclass

DATASETS = {"fmnist": "fashion-mnist", "mnist": "mnist"}
BUDGET = ("--epochs", "10", "--seed", "0")
LRT = ("--estimator", "lrt")


@dataclass(frozen=True)
class Experiment:
    """One run: ``bayescnn train --dataset DATASET ARGS``."""

    name: str
    dataset: str
    args: tuple[str, ...]
    group: str


SWEEP: dict[str, tuple[str, ...]] = {
    # round 1, around the earlier defaults (lrt)
    "lrt": LRT,
    "prior-0.1": (*LRT, "--prior-sigma", "0.1"),
    "prior-0.3": (*LRT, "--prior-sigma", "0.3"),
    "prior-mixture": (*LRT, "--prior", "mixture"),
    "rho-3": (*LRT, "--posterior-rho-init", "-3", "0.1"),
    "softplus": (*LRT, "--activation", "softplus"),
    "mu-normal-0.1": (*LRT, "--posterior-mu-init", "0", "0.1"),
    "flipout": ("--estimator", "flipout"),
    "bbb": ("--estimator", "bbb"),
    # round 2, around the chosen defaults (flipout)
    "rho-4": ("--posterior-rho-init", "-4", "0.1"),
    "kl-annealing": ("--beta", "soenderby"),
    # round 3, the posterior's spread: a faster rho, a Bayesian head on a plain trunk
    "rho-lr-3": ("--rho-lr-scale", "3"),
    "head": ("--bayesian-layers", "fc*"),
    "head-rho-lr-3": ("--bayesian-layers", "fc*", "--rho-lr-scale", "3"),
    "last-rho-lr-3": ("--bayesian-layers", "fc3", "--rho-lr-scale", "3"),
}
"""Settings varied one at a time (the values of the original code among them)."""

SEEDS = (0, 1, 2)
"""The seeds of the default Bayesian LeNet-5 (seed 0 is the sweep's flipout run)."""

ROUND_2 = ("rho-4", "kl-annealing")
"""The settings tried around the chosen defaults (flipout); the rest vary around lrt."""
ROUND_3 = ("rho-lr-3", "head", "head-rho-lr-3", "last-rho-lr-3")
"""Around flipout too: trading calibration for epistemic spread (the OOD targets)."""

FRONTIER: dict[str, tuple[str, ...]] = {
    "default": (),
    "rho-lr-3": ("--rho-lr-scale", "3"),
    "head": ("--bayesian-layers", "fc*"),
    "head-rho-lr-3": ("--bayesian-layers", "fc*", "--rho-lr-scale", "3"),
    "last-rho-lr-3": ("--bayesian-layers", "fc3", "--rho-lr-scale", "3"),
}
"""The plain loop's Bayesian LeNet-5 (:mod:`benchmarks.plain_loop` flags) over ``SEEDS``:
calibration against epistemic spread, each setting as a user's own loop would get it."""


def frontier_name(tag: str, setting: str, seed: int) -> str:
    """The JSON file stem of one plain-loop run of the frontier."""
    return f"frontier-{tag}-{setting}-seed{seed}"


AS_MEASURED = ("--rho-scale", "1")
EVERY_LAYER = ("--bayesian-layers", "all")
"""Flags every Bayesian run gets: these runs were measured with every weight layer Bayesian
at rho scale 1, the defaults before issue #23 made a single network's default a Bayesian
head at rho scale 3; written out so that a regeneration trains the same networks."""


def as_measured(args: tuple[str, ...]) -> tuple[str, ...]:
    """``args`` of a Bayesian run with the posterior its results were measured with
    (:data:`AS_MEASURED`, and :data:`EVERY_LAYER` unless it names its Bayesian layers);
    a frequentist run's unchanged."""
    if "--frequentist" in args:
        return args
    every_layer = () if "--bayesian-layers" in args else EVERY_LAYER
    return (*args, *every_layer, *AS_MEASURED)


PRIORITY = ("prior-0.1", "ensemble", "prior-0.3", "mu-normal-0.1", "softplus", "flipout", "bbb",
            "rho-3", "prior-mixture", "rho-4", "kl-annealing", "mnist-table", "seeds",
            *ROUND_3)  # fmt: skip
"""The order runs are trained in, most informative first (a regeneration can be cut short)."""


def _experiments() -> list[Experiment]:
    found: list[Experiment] = []

    def add(tag: str, name: str, args: tuple[str, ...], group: str) -> None:
        found.append(
            Experiment(f"{tag}-{name}", DATASETS[tag], as_measured((*BUDGET, *args)), group)
        )

    for tag in DATASETS:  # the two anchors first: the defaults and the frequentist twin
        add(tag, "lenet-bayesian-lrt", ("--model", "lenet", *LRT), "sweep")
        add(tag, "lenet-frequentist-seed0", ("--model", "lenet", "--frequentist"), "baseline")
    for step in PRIORITY:
        if step == "ensemble":  # the ensemble's other members, and MC dropout
            for tag in DATASETS:
                for seed in range(1, 5):
                    args = ("--model", "lenet", "--frequentist", "--seed", str(seed))
                    found.append(Experiment(f"{tag}-lenet-frequentist-seed{seed}", DATASETS[tag],
                                            ("--epochs", "10", *args), "ensemble"))  # fmt: skip
                add(
                    tag,
                    "lenet-mc-dropout",
                    ("--model", "lenet", "--frequentist", "--dropout", "0.25"),
                    "baseline",
                )
        elif step == "mnist-table":
            for model in ("alexnet", "3conv3fc"):
                # 2 validation samples, not 10: validation only picks the best epoch, and
                # on 2 CPU cores it would cost these larger networks as much as training
                bayesian = ("--model", model, "--valid-samples", "2")
                add("mnist", f"{model}-bayesian-default", bayesian, "mnist-table")
                add(
                    "mnist",
                    f"{model}-frequentist-seed0",
                    ("--model", model, "--frequentist"),
                    "mnist-table",
                )
        elif step == "seeds":  # the default's spread over seeds (the twin has 5 already)
            for tag in DATASETS:
                for seed in SEEDS[1:]:
                    args = as_measured(("--epochs", "10", "--model", "lenet", "--seed", str(seed)))
                    found.append(Experiment(f"{tag}-lenet-bayesian-flipout-seed{seed}",
                                            DATASETS[tag], args, "seeds"))  # fmt: skip
        else:
            for tag in DATASETS:
                add(tag, f"lenet-bayesian-{step}", ("--model", "lenet", *SWEEP[step]), "sweep")
    return found


EXPERIMENTS: list[Experiment] = _experiments()
