"""Issue #23's targets the command-line way: ``bayescnn train`` with no flags, and with
``--frequentist`` (the twin), over seeds, each scored by ``bayescnn uncertainty`` against
the dataset's default OOD set.

``python -m benchmarks.cli_way [--device cuda] [--jobs N] [--seeds 0 1 2]
[--kinds default twin] [--data-dir DIR] [--work DIR] [--out FILE.json] [--quick]``

Runs go to ``--work`` (skipped when their ``uncertainty.json`` exists); the summary
(``test.json``'s calibrated and raw predictive, the temperature, and the uncertainty
report's OOD AUROCs) is written to ``--out`` as the runs finish.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATASETS = {"fmnist": "fashion-mnist", "mnist": "mnist"}
KINDS = {"default": (), "twin": ("--frequentist",)}
QUICK = ("--epochs", "1", "--train-subset", "300", "--valid-samples", "1", "--test-samples", "2")


def run_one(tag: str, kind: str, seed: int, args: argparse.Namespace) -> dict[str, Any]:
    """Train (unless done) and score one run; its summary."""
    folder = args.work / f"{tag}-{kind}-seed{seed}"
    report = folder / "uncertainty"
    base = [sys.executable, "-m", "bayescnn"]
    common = ["--device", args.device] + (["--data-dir", args.data_dir] if args.data_dir else [])
    if not (folder / "test.json").is_file():
        command = [*base, "train", "--dataset", DATASETS[tag], "--seed", str(seed),
                   "--run-dir", str(folder), *KINDS[kind], *common]  # fmt: skip
        if args.quick:
            command += list(QUICK)
        subprocess.run(command, check=True, capture_output=True, text=True)
    if not (report / "uncertainty.json").is_file():
        command = [*base, "uncertainty", str(folder), "--out-dir", str(report), *common]
        if args.quick:
            command += ["--limit", "200", "--samples", "2"]
        subprocess.run(command, check=True, capture_output=True, text=True)
    test = json.loads((folder / "test.json").read_text())
    unc = json.loads((report / "uncertainty.json").read_text())
    return {
        "tag": tag, "kind": kind, "seed": seed,
        "command": "bayescnn train " + " ".join(["--dataset", DATASETS[tag], *KINDS[kind]]),
        "test": test,
        "ood": {name: v["auroc"] for name, v in unc["ood_detection"].items()},
        "ood_set": unc.get("ood_set"),
    }  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cli_way", description=__doc__)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=list(KINDS))
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--work", type=Path, default=ROOT / "runs" / "cli-way")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results-cli-way.json")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    done: list[dict[str, Any]] = []
    jobs = [
        (tag, kind, seed) for seed in args.seeds for tag in args.datasets for kind in args.kinds
    ]
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(run_one, *job, args): job for job in jobs}
        for future in as_completed(futures):
            try:
                record = future.result()
            except subprocess.CalledProcessError as error:
                print(f"FAILED {futures[future]}: {error.stderr[-1500:]}", flush=True)
                continue
            done.append(record)
            args.out.write_text(json.dumps(sorted(done, key=lambda r: (r["tag"], r["kind"],
                                r["seed"])), indent=2) + "\n")  # fmt: skip
            p = record["test"]["predictive"]
            print(f"{record['tag']} {record['kind']} seed {record['seed']}: acc {p['accuracy']:.4f} "
                  f"ece {p['ece']:.4f} MI {record['ood'].get('mutual_info', float('nan')):.3f}",
                  flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
