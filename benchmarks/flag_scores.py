"""Which OOD score should flag an image ``uncertain``: detection at a fixed false-alarm rate.

``bayescnn predict`` flags an image when its score exceeds the ``1 - rate`` quantile of
the same score over the run's in-distribution validation split, so that a ``rate``
fraction of in-distribution images is flagged (the false-positive rate, FPR). A score is
good for the flag when, at that FPR, it flags many out-of-distribution images (the
true-positive rate, TPR). For each trained run and each registered score
(:func:`bayescnn.list_ood_scores`) this measures

* the threshold ``t``: the ``1 - rate`` quantile of the score on the validation split;
* the TPR ``P(score > t)`` on each OOD set of the run's dataset (:data:`OOD_SETS`);
* the FPR on the test split (how well the validation threshold carries over).

Every run is scored once with the same seed, samples and subset; results go to a JSON
file (``benchmarks/results-flag-scores.json``) keyed by run, so an interrupted or
extended measurement keeps what it has. ``--table`` prints the Markdown table of the
mean ± sample standard deviation over the runs (seeds) of each dataset::

    python -m benchmarks.flag_scores runs/fm-s0 runs/fm-s1 runs/mn-s0 --data-dir data
    python -m benchmarks.flag_scores --table
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from bayescnn.data import ImageData, load_ood_set
from bayescnn.io import read_checkpoint_metadata
from bayescnn.runs import load_splits, make_loader, open_run
from bayescnn.runtime import resolve_device
from bayescnn.seeding import Stream, seeded
from bayescnn.uncertainty import list_ood_scores, predict_loader
from benchmarks.results_tables import _table
from benchmarks.scoring import mean_sd

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results-flag-scores.json"

OOD_SETS = {
    "fashion-mnist": ("mnist", "digits", "noise", "gaussian-noise"),
    "mnist": ("fashion-mnist", "digits", "noise", "gaussian-noise"),
}
"""Each dataset's OOD sets: the other MNIST-like set, scikit-learn's handwritten digits
(nearly in distribution for MNIST), uniform noise and Gaussian noise with the pixels'
mean and standard deviation."""


def _scores(run, data: ImageData, splits, config, device, samples: int) -> dict[str, torch.Tensor]:
    """Every registered score of every image of ``data``, ``(N,)`` each."""
    loader = make_loader(data, splits, config, device, train=False)
    with seeded(config.seed, device, stream=Stream.TEST):
        prediction = predict_loader(run.model, loader, samples=samples, scores="all")
    return {name: values.double() for name, values in prediction.scores.items()}


def _subset(data: ImageData, limit: int | None, seed: int) -> ImageData:
    """A seeded random subset of at most ``limit`` images (all of them without a limit)."""
    if limit is None or limit >= len(data):
        return data
    keep = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))[:limit]
    return data.subset(keep.sort().values)


def measure_run(
    run_dir: Path,
    *,
    rate: float,
    samples: int | None,
    limit: int | None,
    data_dir: str | None,
    device: torch.device,
) -> dict[str, Any]:
    """The threshold, test FPR and per-OOD-set TPR of every registered score for one run."""
    run = open_run(run_dir, device=device)
    config = run.config
    if data_dir is not None:
        config = dataclasses.replace(config, data_dir=data_dir)
    samples = samples or config.test_samples
    splits = load_splits(config)
    valid = _subset(splits.valid, limit, config.seed)
    test = _subset(splits.test, limit, config.seed)
    in_valid = _scores(run, valid, splits, config, device, samples)
    in_test = _scores(run, test, splits, config, device, samples)
    ood = {}
    for name in OOD_SETS[config.dataset]:
        images = load_ood_set(name, like=test, data_dir=config.data_dir, seed=config.seed)
        ood[name] = _scores(
            run, _subset(images, limit, config.seed), splits, config, device, samples
        )
    result: dict[str, Any] = {"dataset": config.dataset, "seed": config.seed, "scores": {}}
    result["checkpoint"] = str(run.checkpoint)
    result["epochs_trained"] = read_checkpoint_metadata(run.checkpoint)["epoch"] + 1
    for score, values in in_valid.items():
        threshold = float(torch.quantile(values, 1.0 - rate))
        result["scores"][score] = {
            "threshold": threshold,
            "test_fpr": float((in_test[score] > threshold).double().mean()),
            "tpr": {name: float((s[score] > threshold).double().mean()) for name, s in ood.items()},
        }
    return result


def table(results: Mapping[str, Any]) -> str:
    """Markdown: per score, the TPR on each dataset's OOD sets, mean ± sd over its runs."""
    runs = list(results["runs"].values())
    columns = [(d, name) for d, names in OOD_SETS.items() for name in names]
    columns = [(d, n) for d, n in columns if any(r["dataset"] == d for r in runs)]
    header = ["score", *(f"{d} → {n}" for d, n in columns), "test FPR"]
    rows = []
    for score in list_ood_scores():
        row: list[object] = [f"`{score}`"]
        for dataset, name in columns:
            values = [r["scores"][score]["tpr"][name] for r in runs if r["dataset"] == dataset]
            row.append(mean_sd(values) if values else "")
        row.append(mean_sd([r["scores"][score]["test_fpr"] for r in runs]))
        rows.append(row)
    counts = ", ".join(
        f"{d}: {sum(r['dataset'] == d for r in runs)} run(s)" for d, _ in dict(columns).items()
    )
    return _table(header, rows) + f"\n\n({counts}; {json.dumps(results['settings'])})"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="*", type=Path, help="trained run folders")
    parser.add_argument("--rate", type=float, default=0.05, help="validation FPR (0.05)")
    parser.add_argument("--samples", type=int, help="Monte-Carlo samples (the run's test_samples)")
    parser.add_argument("--limit", type=int, help="at most N images of each set (all)")
    parser.add_argument("--data-dir", help="folder searched first for the data")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.add_argument("--out", type=Path, default=RESULTS, help="the JSON file to extend")
    parser.add_argument("--table", action="store_true", help="print the table of the JSON file")
    args = parser.parse_args(argv)
    settings = {"rate": args.rate, "samples": args.samples, "limit": args.limit}
    results = json.loads(args.out.read_text()) if args.out.is_file() else {}
    if results.get("settings", settings) != settings and args.runs:
        print(f"{args.out} holds other settings: {results['settings']}", file=sys.stderr)
        return 2
    results.setdefault("settings", settings)
    results.setdefault("runs", {})
    device = resolve_device(args.device)
    for run_dir in args.runs:
        key = run_dir.name
        if key in results["runs"]:
            print(f"{key}: measured already")
            continue
        results["runs"][key] = measure_run(
            run_dir,
            rate=args.rate,
            samples=args.samples,
            limit=args.limit,
            data_dir=args.data_dir,
            device=device,
        )
        args.out.write_text(json.dumps(results, indent=2) + "\n")
        print(f"{key}: measured, written to {args.out}")
    if args.table:
        print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
