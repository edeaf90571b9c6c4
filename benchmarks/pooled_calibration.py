"""A probe for the next step of issue #23: where to put the temperature.

``python -m benchmarks.pooled_calibration --runs TAG:METHOD:SEED ... [--out FILE.json]``

Trains one network of :mod:`benchmarks.comparison` (its plain loop, split and seeds), draws
25 samples of its logits on the validation and test sets, and fits one temperature two
ways by validation NLL (a grid over [0.1, 10]):

- per sample, what :func:`bayescnn.calibrate` does (Laves et al. 2019):
  ``p̄_T = (1/S) Σ_s softmax(f_s / T)``;
- pooled, the averaged predictive itself (pool-then-calibrate, Ashukha et al. 2020):
  ``p̄_T = softmax(log((1/S) Σ_s softmax(f_s)) / T)``,

and reports each one's test ECE and NLL. The probe that led to the library's pooled form
(``bayescnn.calibrate(..., form="pooled")``, now the default, fitted by a bounded search
rather than this grid); :mod:`benchmarks.comparison` fits both forms for every method.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from benchmarks import comparison

GRID = torch.exp(torch.linspace(math.log(0.1), math.log(10.0), 400))


def per_sample(logits: Tensor, temperature: float) -> Tensor:
    """``(1/S) Σ_s softmax(f_s / T)`` of ``(S, N, K)`` logits."""
    return torch.softmax(logits / temperature, -1).mean(0)


def pooled(logits: Tensor, temperature: float) -> Tensor:
    """``softmax(log p̄ / T)``: the temperature of the averaged predictive, as the library
    applies it (:func:`bayescnn.calibration.temper_predictive`)."""
    from bayescnn.calibration import temper_predictive

    return temper_predictive(torch.softmax(logits, -1).mean(0), temperature)


def fit(form: Callable[[Tensor, float], Tensor], logits: Tensor, labels: Tensor) -> float:
    """The grid temperature with the lowest NLL of ``form`` on held-out logits."""
    from bayescnn.metrics import nll

    losses = torch.tensor([nll(form(logits, float(t)), labels) for t in GRID])
    return float(GRID[int(losses.argmin())])


def probe(tag: str, method: str, seed: int, data_dir: str | None) -> dict[str, Any]:
    """Train one network and compare the two temperatures on its test set."""
    from bayescnn.calibration import held_out_logits
    from bayescnn.data import evaluation_loader
    from bayescnn.metrics import accuracy, calibration_error, nll

    job = comparison.Job(tag, method, seed, 10, 25, None, None, "cpu", data_dir)
    model, seconds = comparison.train_member(comparison.METHODS[method], job, 0)
    _, valid, test, _, spec = comparison._data(job)
    norm = {"mean": spec.mean, "std": spec.std}
    torch.manual_seed(7 + seed)
    valid_logits, valid_labels = held_out_logits(
        model, evaluation_loader(valid, **norm), samples=25
    )
    test_logits, test_labels = held_out_logits(model, evaluation_loader(test, **norm), samples=25)
    record: dict[str, Any] = {"tag": tag, "method": method, "seed": seed, "train_seconds": seconds}
    for name, form in (("per_sample", per_sample), ("pooled", pooled)):
        temperature = fit(form, valid_logits, valid_labels)
        probs = form(test_logits, temperature)
        record[name] = {
            "temperature": temperature,
            "ece": calibration_error(probs, test_labels).ece,
            "nll": nll(probs, test_labels),
            "accuracy": accuracy(probs, test_labels),
        }
    raw = per_sample(test_logits, 1.0)
    record["raw"] = {"ece": calibration_error(raw, test_labels).ece, "nll": nll(raw, test_labels)}
    return record


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pooled_calibration")
    parser.add_argument(
        "--runs", nargs="+", required=True, help="TAG:METHOD:SEED, e.g. mnist:bayes-head-rho3:0"
    )
    parser.add_argument("--data-dir", default=None)
    parser.add_argument(
        "--out",
        type=Path,
        default=comparison.ROOT / "benchmarks" / "results-pooled-calibration.json",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    records = json.loads(args.out.read_text()) if args.out.is_file() else []
    done = {(r["tag"], r["method"], r["seed"]) for r in records}
    for run in args.runs:
        tag, method, seed = run.split(":")
        if (tag, method, int(seed)) in done:
            continue
        records.append(probe(tag, method, int(seed), args.data_dir))
        args.out.write_text(json.dumps(records, indent=2) + "\n")
        r = records[-1]
        print(f"{run}: ECE raw {r['raw']['ece']:.4f}, per sample {r['per_sample']['ece']:.4f} "
              f"(T {r['per_sample']['temperature']:.2f}), pooled {r['pooled']['ece']:.4f} "
              f"(T {r['pooled']['temperature']:.2f})", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
