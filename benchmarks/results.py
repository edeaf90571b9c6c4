"""Regenerate the documentation's results: ``python -m benchmarks.results [--quick] [--jobs 2]``.

Every run is a ``bayescnn train`` command (listed in :mod:`benchmarks.experiments`),
kept under ``runs/results/NAME`` and skipped when its ``test.json`` exists, so an
interrupted regeneration continues where it stopped. Then the tables are written as
Markdown between the ``<!-- results:... -->`` markers of the results pages
(``docs/results/*.md``), with the figures in ``docs/figures/``. ``--quick`` trains each
experiment for one epoch on 300 images (a smoke run of the whole pipeline, not results)
and writes its tables into ``docs/results-quick.md``.

The calibrated comparison trains in its own harness (``python -m
benchmarks.comparison``, best on a GPU: ``benchmarks/gpu_batch.sh``); its tables are
rewritten here too from its records (:mod:`benchmarks.comparison_tables`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks import comparison_tables
from benchmarks.experiments import DATASETS, EXPERIMENTS, FRONTIER, SEEDS, Experiment, frontier_name
from benchmarks.results_tables import write_results

ROOT = Path(__file__).resolve().parent.parent
QUICK_ARGS = (
    "--epochs",
    "1",
    "--train-subset",
    "300",
    "--valid-samples",
    "1",
    "--test-samples",
    "2",
)


def run_experiment(
    experiment: Experiment, runs: Path, *, quick: bool, data_dir: str | None
) -> dict:
    """Train one experiment's run (unless done) and return its record."""
    folder = runs / experiment.name
    record_file = folder / "record.json"
    if record_file.is_file():
        return json.loads(record_file.read_text())
    command = [sys.executable, "-m", "bayescnn", "train"]
    if (folder / "last.safetensors").is_file():  # an interrupted regeneration: continue it
        command += ["--resume", str(folder)]
    else:
        command += [*experiment.args, "--device", "cpu", "--run-dir", str(folder)]
        command += ["--dataset", experiment.dataset]
        if data_dir is not None:
            command += ["--data-dir", data_dir]
        if quick:
            command += list(QUICK_ARGS)
    env = os.environ | {"OMP_NUM_THREADS": "1"}
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{experiment.name} failed:\n{done.stderr[-3000:]}")
    metrics = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    record = {
        "name": experiment.name,
        "dataset": experiment.dataset,
        "command": "bayescnn train "
        + " ".join([*experiment.args, "--dataset", experiment.dataset]),
        "test": json.loads((folder / "test.json").read_text()),
        "best_valid_nll": min(row["valid_nll"] for row in metrics),
        "best_valid_accuracy": max(row["valid_accuracy"] for row in metrics),
        "train_seconds": sum(row["seconds"] for row in metrics),
        "wall_seconds": seconds,
    }
    record_file.write_text(json.dumps(record, indent=2))
    print(f"done {experiment.name}: {record['test']['predictive']['accuracy']:.4f} "
          f"({seconds:.0f} s)", flush=True)  # fmt: skip
    return record


def run_plain_loop(
    tag: str,
    runs: Path,
    *,
    quick: bool,
    data_dir: str | None,
    name: str | None = None,
    args: Sequence[str] = (),
) -> dict:
    """The issue's plain user loop on one dataset (:mod:`benchmarks.plain_loop`), unless
    done: ``plain-loop-TAG.json`` (with the twin) or, for the frontier, ``NAME.json``."""
    name = name or f"plain-loop-{tag}"
    out = runs / f"{name}.json"
    if not out.is_file():
        command = [sys.executable, "-m", "benchmarks.plain_loop", "--dataset", DATASETS[tag],
                   "--threads", "1", *args, "--out", str(out)]  # fmt: skip
        if data_dir is not None:
            command += ["--data-dir", data_dir]
        if quick:
            command += ["--epochs", "1", "--limit-train", "300", "--limit-test", "300"]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"the plain loop {name} failed:\n{done.stderr[-3000:]}")
        print(f"done {name}", flush=True)
    return json.loads(out.read_text())


def plain_loops(prefixes: Sequence[str]) -> list[tuple[str, str, tuple[str, ...]]]:
    """``(tag, name, flags)`` of every plain-loop run the prefixes choose: the issue's loop
    with its twin on each dataset, then the frontier's settings over the seeds."""
    loops = [(tag, f"plain-loop-{tag}", ()) for tag in DATASETS]
    for setting, flags in FRONTIER.items():
        for seed in SEEDS:
            for tag in DATASETS:
                name = frontier_name(tag, setting, seed)
                loops.append((tag, name, (*flags, "--no-twin", "--seed", str(seed))))
    return [loop for loop in loops if not prefixes or loop[1].startswith(tuple(prefixes))]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.results", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one short epoch per experiment")
    parser.add_argument("--jobs", type=int, default=2, help="runs in parallel (1 thread each)")
    parser.add_argument("--only", default="", help="comma-separated experiment name prefixes")
    parser.add_argument("--data-dir", default=None, help="folder searched first for the data")
    parser.add_argument("--runs", type=Path, default=None, help="default runs/results[-quick]")
    parser.add_argument("--no-write", action="store_true", help="train only, write no tables")
    parser.add_argument(
        "--docs", type=Path, default=ROOT / "docs", help="the documentation's folder"
    )
    parser.add_argument(
        "--write-only", action="store_true", help="train nothing: write the tables of finished runs"
    )
    args = parser.parse_args(argv)
    runs = args.runs or ROOT / "runs" / ("results-quick" if args.quick else "results")
    runs.mkdir(parents=True, exist_ok=True)
    prefixes = [p for p in args.only.split(",") if p]
    chosen = [e for e in EXPERIMENTS if not prefixes or e.name.startswith(tuple(prefixes))]
    loops = plain_loops(prefixes)
    started = time.perf_counter()
    if args.write_only:
        finished = [runs / e.name / "record.json" for e in chosen]
        records = [json.loads(path.read_text()) for path in finished if path.is_file()]
        write_results(records, runs, quick=args.quick, docs=args.docs)
        if not args.quick:
            comparison_tables.main(["--pages", str(args.docs / "results")])
        return 0
    options = {"quick": args.quick, "data_dir": args.data_dir}
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        trained = [pool.submit(run_experiment, e, runs, **options) for e in chosen]
        looped = [pool.submit(run_plain_loop, tag, runs, **options, name=name, args=flags)
                  for tag, name, flags in loops]  # fmt: skip
        records = [job.result() for job in trained]
        for job in looped:
            job.result()
    print(f"{len(records)} runs in {time.perf_counter() - started:.0f} s", flush=True)
    if not args.no_write:
        write_results(records, runs, quick=args.quick, docs=args.docs)
        if not args.quick:
            comparison_tables.main(["--pages", str(args.docs / "results")])
    return 0


if __name__ == "__main__":
    sys.exit(main())
