"""When does held-out data support a temperature? The rule behind ``bayescnn.calibrate``.

``python -m benchmarks.temperature_evidence dump --runs fmnist:0 mnist:0 --cache DIR``
trains the default network (:mod:`benchmarks.comparison`'s plain loop, split and seeds)
and keeps 25 samples of its validation and test logits in ``DIR``;

``python -m benchmarks.temperature_evidence simulate --cache DIR [--out FILE.json]``
draws held-out sets of n examples from each validation split (n = 30 ... 10,000, many
draws each), fits the temperature on each and scores it on the whole test set against no
temperature (``T = 1``): how often a fit makes the test NLL worse ("harm"), and what the
evidence rule (:func:`bayescnn.calibration.weigh_temperature_evidence`)
keeps. Small held-out sets of an accurate model are often perfectly separated (MNIST: 58
images hold no error about half the time), the case of a user's small folder of images.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from benchmarks import comparison

DEFAULT_METHOD = "bayes-head-rho3"
"""The default network (fully connected layers Bayesian, rho scale 3)."""
SIZES = (30, 58, 100, 200, 500, 1000, 10000)
RULES: dict[str, dict[str, int]] = {
    "always": {"min_examples": 0, "min_errors": 0, "folds": 0},
    "errors>=1": {"min_examples": 0, "min_errors": 1, "folds": 0},
    "errors>=5": {"min_examples": 0, "min_errors": 5, "folds": 0},
    "n>=200": {"min_examples": 200, "min_errors": 0, "folds": 0},
    "cv5": {"min_examples": 0, "min_errors": 0, "folds": 5},
    "errors>=1+cv5": {"min_examples": 0, "min_errors": 1, "folds": 5},
    "n>=100+errors>=5+cv5": {"min_examples": 100, "min_errors": 5, "folds": 5},
}
"""Candidate rules: the fewest examples and errors, and K of the cross-validated check
(0: none)."""


def dump(tag: str, seed: int, cache: Path, epochs: int, data_dir: str | None) -> Path:
    """Train the default network and keep its (S, N, K) validation and test logits."""
    from bayescnn.calibration import held_out_logits
    from bayescnn.data import evaluation_loader

    path = cache / f"{tag}-seed{seed}-epochs{epochs}.pt"
    if path.is_file():
        return path
    job = comparison.Job(tag, DEFAULT_METHOD, seed, epochs, 25, None, None, "cpu", data_dir)
    model, _ = comparison.train_member(comparison.METHODS[DEFAULT_METHOD], job, 0)
    _, valid, test, _, spec = comparison._data(job)
    norm = {"mean": spec.mean, "std": spec.std}
    torch.manual_seed(7 + seed)
    logits = {}
    for name, data in (("valid", valid), ("test", test)):
        logits[name] = held_out_logits(model, evaluation_loader(data, **norm), samples=25)
    cache.mkdir(parents=True, exist_ok=True)
    torch.save(logits, path)
    return path


def _evidence(logits: Tensor, labels: Tensor) -> tuple[int, bool]:
    """The held-out errors and whether the 5-fold check keeps the fit (computed once,
    read by every rule)."""
    from bayescnn.calibration import weigh_temperature_evidence

    evidence = weigh_temperature_evidence(logits, labels, min_examples=0, min_errors=0, folds=5)
    return evidence.errors, evidence.supported


def _decide(rule: dict[str, int], examples: int, errors: int, cross_validated: bool) -> bool:
    """Whether ``rule`` keeps the fitted temperature."""
    enough = examples >= rule["min_examples"] and errors >= rule["min_errors"]
    return enough and (rule["folds"] == 0 or cross_validated)


def simulate(path: Path, draws: int) -> dict[str, Any]:
    """Harm of each rule over draws of held-out sets of each size (test NLL and ECE)."""
    from bayescnn.calibration import fit_temperature, temper_predictive
    from bayescnn.metrics import calibration_error, nll

    logits = torch.load(path, weights_only=True)
    valid, valid_labels = logits["valid"]
    test, test_labels = logits["test"]
    test_mean = torch.softmax(test.double(), -1).mean(0)

    def scored(temperature: float) -> tuple[float, float]:
        probs = temper_predictive(test_mean, temperature).float()
        return nll(probs, test_labels), calibration_error(probs, test_labels).ece

    raw_nll, raw_ece = scored(1.0)
    generator = torch.Generator().manual_seed(0)
    sizes: dict[str, Any] = {}
    for size in SIZES:
        count = 1 if size >= valid_labels.numel() else draws
        rows: dict[str, list[tuple[float, float]]] = {rule: [] for rule in RULES}
        perfect = 0
        for _ in range(count):
            pick = torch.randperm(valid_labels.numel(), generator=generator)[:size]
            held, held_labels = valid[:, pick], valid_labels[pick]
            predicted = torch.softmax(held.double(), -1).mean(0).argmax(-1)
            perfect += int(bool((predicted == held_labels).all()))
            fitted_nll, fitted_ece = scored(fit_temperature(held, held_labels))
            errors, cross_validated = _evidence(held, held_labels)
            for name, rule in RULES.items():
                kept = _decide(rule, size, errors, cross_validated)
                rows[name].append((fitted_nll, fitted_ece) if kept else (raw_nll, raw_ece))
        sizes[str(size)] = {
            "draws": count,
            "perfectly_separated": perfect / count,
            "rules": {
                name: {
                    "harm": sum(n > raw_nll + 1e-9 for n, _ in values) / count,
                    "mean_nll_change": sum(n - raw_nll for n, _ in values) / count,
                    "worst_nll_change": max(n - raw_nll for n, _ in values),
                    "mean_ece": sum(e for _, e in values) / count,
                    "kept": sum((n, e) != (raw_nll, raw_ece) for n, e in values) / count,
                }
                for name, values in rows.items()
            },
        }
    full = _decide(
        RULES["n>=100+errors>=5+cv5"], valid_labels.numel(), *_evidence(valid, valid_labels)
    )
    return {
        "logits": path.name,
        "raw_test_nll": raw_nll,
        "raw_test_ece": raw_ece,
        "full_validation_kept_by_default_rule": full,
        "full_validation_temperature": fit_temperature(valid, valid_labels),
        "sizes": sizes,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.temperature_evidence")
    parser.add_argument("action", choices=("dump", "simulate"))
    parser.add_argument("--runs", nargs="*", default=["fmnist:0", "mnist:0"], help="TAG:SEED")
    parser.add_argument("--cache", type=Path, required=True, help="where the logits are kept")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument(
        "--out",
        type=Path,
        default=comparison.ROOT / "benchmarks" / "results-temperature-evidence.json",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if args.action == "dump":
        for run in args.runs:
            tag, seed = run.split(":")
            print(dump(tag, int(seed), args.cache, args.epochs, args.data_dir), flush=True)
        return 0
    records = [simulate(path, args.draws) for path in sorted(args.cache.glob("*.pt"))]
    args.out.write_text(json.dumps(records, indent=2) + "\n")
    for record in records:
        print(f"{record['logits']}: raw test NLL {record['raw_test_nll']:.4f}, full validation "
              f"T {record['full_validation_temperature']:.3f} kept: "
              f"{record['full_validation_kept_by_default_rule']}")  # fmt: skip
        for size, row in record["sizes"].items():
            cells = "  ".join(
                f"{name} harm {r['harm']:.2f} dNLL {r['mean_nll_change']:+.4f}"
                for name, r in row["rules"].items()
            )
            print(f"  n={size:>5} separated {row['perfectly_separated']:.2f}  {cells}")
    return 0 if all(math.isfinite(r["raw_test_nll"]) for r in records) else 1


if __name__ == "__main__":
    raise SystemExit(main())
