"""Issue #12's targets measured the way a user's own plain loop would measure them.

``python -m benchmarks.plain_loop --dataset fashion-mnist [--epochs 10] [--seed 0]
[--threads N] [--limit-train N] [--limit-test N] [--data-dir DIR] [--rho-scale C]
[--rho-lr-scale K]
[--bayesian-layers all|GLOB ...] [--no-twin] [--out FILE.json]``

LeNet-5 from ``models.create`` with the library defaults, Bayesian and its frequentist
twin, trained on the whole training split (no validation split) by Adam (lr 1e-3,
batch 256, shuffled) on ``cross_entropy + kl_divergence(model) / N``, then evaluated on
the test split with ``predict_loader`` (25 samples): accuracy, NLL, ECE and the OOD
AUROC of mutual information and of entropy against the CLI's OOD set for the dataset
(the deterministic twin's mutual information is 0 everywhere: AUROC 0.5 by construction).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

import bayescnn
from bayescnn.data import (
    DatasetSpec,
    ImageData,
    InMemoryLoader,
    evaluation_loader,
    get_spec,
    load_dataset,
    load_ood_set,
)
from bayescnn.metrics import accuracy, calibration_error, nll, ood_detection
from bayescnn.reports import markdown_table

OOD_SETS = {"fashion-mnist": "digits", "mnist": "fashion-mnist"}
"""The OOD set of each dataset, as in the documentation's results."""
IMAGE_SIZE = 32  # the CLI's default image size, LeNet-5's input
BATCH_SIZE = 256
LR = 1e-3
SAMPLES = bayescnn.defaults.SAMPLES
SCORES = ("mutual_info", "entropy")


def train(
    model: nn.Module,
    loader: InMemoryLoader,
    epochs: int,
    *,
    bayesian: bool,
    rho_lr_scale: float = 1.0,
) -> float:
    """The issue's loop: Adam on ``CE + KL / N`` (KL only when Bayesian); returns seconds.

    ``rho_lr_scale`` multiplies the learning rate of the posterior's rho
    (:func:`bayescnn.train.parameter_groups`).
    """
    optimizer = bayescnn.train.default_optimizer(model, LR, rho_lr_scale)  # Adam(lr) at 1
    num_train = len(loader.labels)
    model.train()
    started = time.perf_counter()
    for epoch in range(epochs):
        loader.set_epoch(epoch)
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            if bayesian:
                loss = loss + bayescnn.kl_divergence(model) / num_train
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return time.perf_counter() - started


def evaluate(model: nn.Module, test: InMemoryLoader, ood: InMemoryLoader) -> dict[str, float]:
    """Accuracy, NLL, ECE and the OOD AUROC of mutual information and of entropy."""
    options: dict[str, Any] = {"samples": SAMPLES, "decomposition": (), "scores": SCORES}
    pred_in = bayescnn.predict_loader(model, test, **options)
    pred_out = bayescnn.predict_loader(model, ood, **options)
    assert pred_in.labels is not None
    auroc = {
        name: ood_detection(pred_in.scores[name], pred_out.scores[name]).auroc for name in SCORES
    }
    return {
        "accuracy": accuracy(pred_in.probs, pred_in.labels),
        "nll": nll(pred_in.probs, pred_in.labels),
        "ece": calibration_error(pred_in.probs, pred_in.labels).ece,
        "auroc_mutual_info": auroc["mutual_info"],
        "auroc_entropy": auroc["entropy"],
        "samples": pred_in.samples,
    }


def run_model(
    bayesian: bool,
    data: tuple[ImageData, ...],
    spec: DatasetSpec,
    *,
    epochs: int,
    seed: int,
    rho_lr_scale: float = 1.0,
    rho_scale: float = bayescnn.defaults.POSTERIOR_RHO_SCALE,
    bayesian_layers: str = "all",
) -> dict[str, Any]:
    """Trains and evaluates one LeNet-5 built with the library defaults (``bayesian_layers``,
    ``rho_scale``: see :func:`bayescnn.models.create`)."""
    train_data, test_data, ood_data = data
    torch.manual_seed(seed)  # a script owns the process: it may seed globally
    model = lenet(bayesian, rho_scale=rho_scale, bayesian_layers=bayesian_layers)
    norm = {"mean": spec.mean, "std": spec.std}
    loader = InMemoryLoader(train_data, BATCH_SIZE, shuffle=True, seed=seed, **norm)
    seconds = train(model, loader, epochs, bayesian=bayesian, rho_lr_scale=rho_lr_scale)
    test, ood = (evaluation_loader(d, **norm) for d in (test_data, ood_data))
    metrics = evaluate(model, test, ood)
    name = "bayesian" if bayesian else "frequentist"
    if bayesian and bayesian_layers != "all":
        name += f" ({bayesian_layers} only)"
    return {"model": f"lenet {name}", **metrics, "train_seconds": seconds}


def lenet(bayesian: bool, *, rho_scale: float, bayesian_layers: str) -> nn.Module:
    """The loop's LeNet-5 for 10 classes of 1-channel images."""
    return bayescnn.models.create(
        "lenet",
        bayesian=bayesian,
        num_classes=10,
        in_channels=1,
        rho_scale=rho_scale,
        bayesian_layers=bayesian_layers,
    )


def table(rows: list[dict[str, Any]]) -> str:
    """The rows as a Markdown table."""
    header = ["model", "accuracy %", "NLL", "ECE", "MI AUROC", "entropy AUROC", "train s"]
    cells = [
        [r["model"], f"{100 * r['accuracy']:.2f}", f"{r['nll']:.4f}", f"{r['ece']:.4f}",
         f"{r['auroc_mutual_info']:.3f}", f"{r['auroc_entropy']:.3f}", f"{r['train_seconds']:.1f}"]
        for r in rows
    ]  # fmt: skip
    return markdown_table(header, cells, align="<")


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Loads the dataset as the CLI does (32x32) and runs both models on it."""
    train_data, test_data = load_dataset(args.dataset, args.data_dir, image_size=IMAGE_SIZE)
    if args.limit_train is not None:
        train_data = train_data.subset(torch.arange(min(args.limit_train, len(train_data))))
    if args.limit_test is not None:
        test_data = test_data.subset(torch.arange(min(args.limit_test, len(test_data))))
    ood = OOD_SETS[args.dataset]
    ood_data = load_ood_set(
        ood, like=test_data, data_dir=args.data_dir, seed=args.seed, limit=args.limit_test
    )
    data, spec = (train_data, test_data, ood_data), get_spec(args.dataset)
    options = {
        "epochs": args.epochs,
        "seed": args.seed,
        "rho_scale": args.rho_scale,
        "rho_lr_scale": args.rho_lr_scale,
        "bayesian_layers": ",".join(args.bayesian_layers),
    }
    kinds = (True,) if args.no_twin else (True, False)
    rows = [run_model(bayesian, data, spec, **options) for bayesian in kinds]
    sizes = {"num_train": len(train_data), "num_test": len(test_data), "num_ood": len(ood_data)}
    return {"dataset": args.dataset, "ood": ood, **options, **sizes, "rows": rows}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Runs the Bayesian LeNet-5 and its twin; prints the table, writes JSON if asked."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.plain_loop")
    parser.add_argument("--dataset", choices=sorted(OOD_SETS), default="fashion-mnist")
    parser.add_argument("--data-dir", default=None, help="searched first (then ./data, system)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    parser.add_argument("--limit-train", type=int, default=None, help="first N training images")
    parser.add_argument("--limit-test", type=int, default=None, help="first N test, N OOD images")
    parser.add_argument(
        "--rho-scale",
        type=float,
        default=bayescnn.defaults.POSTERIOR_RHO_SCALE,
        help="the model's rho scale: rho learns C times faster in the plain Adam loop",
    )
    parser.add_argument(
        "--rho-lr-scale",
        type=float,
        default=1.0,
        help="learning rate of rho over the rest's, in the optimiser (on top of --rho-scale)",
    )
    parser.add_argument(
        "--bayesian-layers",
        "--include",
        nargs="+",
        default=["all"],
        help="which layers are Bayesian: all, or globs (e.g. 'fc*')",
    )
    parser.add_argument("--no-twin", action="store_true", help="skip the frequentist twin")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON")
    args = parser.parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    result = measure(args)
    print(
        f"{args.dataset}: {result['num_train']} train / {result['num_test']} test / "
        f"{result['num_ood']} OOD ({result['ood']}), {args.epochs} epochs, seed {args.seed}"
    )
    print(table(result["rows"]))
    if args.out is not None:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
