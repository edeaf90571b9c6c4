"""``python -m benchmarks.peers``: bayescnn against bayesian-torch, torch-uncertainty,
blitz and torchbnn (issue #22). See benchmarks/README.md, "Against the peer libraries"."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from bayescnn.runtime import resolve_device
from benchmarks.peers.libraries import PEERS, available, version
from benchmarks.peers.quality import SAMPLES, Task, run_tasks
from benchmarks.peers.speed import bench_predict, bench_step
from benchmarks.peers.tables import peers_section, write_page
from benchmarks.report import RESULT_PAGES, environment

SECTIONS = ("step", "predict", "quality")
ROOT = Path(__file__).resolve().parent.parent.parent
PAGE = RESULT_PAGES / "peers.md"
"""The results page whose peers tables are regenerated from the default JSON."""
DEFAULT_OUT = ROOT / "benchmarks" / "results-peers.json"
LIBRARIES = (
    "bayescnn",
    "bayesian-torch",
    "torch-uncertainty",
    "blitz-bayesian-pytorch",
    "torchbnn",
)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.peers", description=__doc__)
    parser.add_argument(
        "--sections", default="step,predict", help=f"subset of {','.join(SECTIONS)}"
    )
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--peers", default="all", help="comma-separated variants (default all)")
    parser.add_argument("--seeds", default="0,1,2", help="quality seeds, comma-separated")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1, help="parallel quality processes")
    parser.add_argument("--limit-train", type=int, default=None)
    parser.add_argument("--limit-test", type=int, default=None)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--quick", action="store_true", help="smoke run: few rounds")
    parser.add_argument("--out", type=Path, default=None, help=f"JSON (default {DEFAULT_OUT.name})")
    parser.add_argument(
        "--page-only",
        action="store_true",
        help="regenerate the results page's tables (docs/results/peers.md) from --out",
    )
    args = parser.parse_args(argv)
    args.sections = [s for s in args.sections.split(",") if s]
    if unknown := sorted(set(args.sections) - set(SECTIONS)):
        parser.error(f"unknown sections {unknown}; choose from {','.join(SECTIONS)}")
    names = list(PEERS) if args.peers == "all" else args.peers.split(",")
    if unknown := sorted(set(names) - set(PEERS)):
        parser.error(f"unknown peers {unknown}; choose from {','.join(PEERS)}")
    missing = [n for n in names if not available(PEERS[n])]
    if missing:
        print(f"not installed, skipped: {missing} (pip install -e '.[bench]')", file=sys.stderr)
    args.peers = [n for n in names if n not in missing]
    args.seeds = [int(s) for s in args.seeds.split(",") if s]
    if args.out is None:
        args.out = DEFAULT_OUT.with_name("results-peers-quick.json") if args.quick else DEFAULT_OUT
    return args


def _environment(device: torch.device, mode: str) -> dict[str, Any]:
    versions = {name: version(name) for name in LIBRARIES}
    return {"mode": mode, "environment": environment(device) | {"versions": versions}}


def _save(path: Path, results: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")


def _quality(args: argparse.Namespace, results: dict[str, Any], device: torch.device) -> None:
    section = results.setdefault("quality", {"runs": []})
    section |= _environment(device, "quick" if args.quick else "full")
    section["environment"]["torch_threads"] = 1 if args.workers > 1 else torch.get_num_threads()
    section["settings"] = {
        "epochs": args.epochs,
        "samples": SAMPLES,
        "limit_train": args.limit_train,
        "limit_test": args.limit_test,
        "workers": args.workers,
        "weightings": {
            f"{p} / {w}": spec.description
            for p in args.peers
            for w, spec in PEERS[p].weightings.items()
        },
    }
    done = {(r["peer"], r["weighting"], r["seed"]) for r in section["runs"]}
    tasks = [
        Task(p, w, s, args.epochs, str(device), args.data_dir, args.limit_train, args.limit_test)
        for s in args.seeds
        for p in args.peers
        for w in PEERS[p].weightings
    ]
    todo = [t for t in tasks if t.key not in done]
    print(f"quality: {len(todo)} runs to do, {len(tasks) - len(todo)} already in {args.out}")

    def record(result: dict[str, Any]) -> None:
        section["runs"].append(result)
        _save(args.out, results)  # after every run: an interrupted batch resumes
        print(
            f"  {result['peer']} / {result['weighting']} / seed {result['seed']}: "
            f"acc {result['accuracy']:.4f} nll {result['nll']:.4f} ece {result['ece']:.4f} "
            f"MI AUROC {result['auroc_mutual_info']:.3f} ({result['train_seconds']:.0f} s)",
            flush=True,
        )

    run_tasks(todo, args.workers, record)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen sections, merge them into the JSON and print (and write) the tables."""
    args = parse_args(argv)
    results: dict[str, Any] = json.loads(args.out.read_text()) if args.out.is_file() else {}
    if not args.page_only:
        device = resolve_device(args.device)
        mode = "quick" if args.quick else "full"
        for name in args.sections:
            started = time.perf_counter()
            if name == "step":
                options = {"rounds": 3, "reps": 1, "warmup": 1} if args.quick else {}
                section = bench_step(device, args.peers, **options)
                results[f"step-{device.type}"] = _environment(device, mode) | section
            elif name == "predict":
                options = {"rounds": 3} if args.quick else {}
                section = bench_predict(device, args.peers, **options)
                results[f"predict-{device.type}"] = _environment(device, mode) | section
            else:
                _quality(args, results, device)
            print(f"[{name}: {time.perf_counter() - started:.1f} s]", flush=True)
            _save(args.out, results)
    print(peers_section(results))
    if args.out.resolve() == DEFAULT_OUT.resolve() and write_page(PAGE, results):
        print(f"\nwrote the peers tables of {PAGE.relative_to(ROOT)}")
    print(f"results in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
