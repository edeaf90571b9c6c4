"""Run the benchmarks: ``python -m benchmarks.run [--quick] [--device cpu|cuda]``.

Every reported ratio compares variants timed in the same run, interleaved round-robin
(see :mod:`benchmarks.timing`), so that drift of the machine's speed cancels out.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python benchmarks/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bayescnn import defaults
from bayescnn.data import DataNotFoundError
from bayescnn.errors import BayesCNNError
from bayescnn.runtime import resolve_device, tune_cpu_allocator
from benchmarks.data_path import FashionMnist, bench_data_path, load_fashion_mnist
from benchmarks.prediction import bench_predict, bench_predict_vs_loop
from benchmarks.report import Row, environment, format_table, write_json
from benchmarks.training import bench_engine, bench_epoch, bench_train_step

SECTIONS = ("step", "predict", "data", "epoch", "engine", "predict-loop")
HERE = Path(__file__).resolve().parent


SMALL_PREDICT_BATCH = 16


@dataclass(frozen=True)
class Settings:
    """Repetition counts of one mode (full or quick)."""

    step_rounds: int
    step_reps: dict[str, int]
    step_warmup: int
    predict_rounds: int
    predict_chunks: tuple[int, ...]
    data_batches: int
    data_rounds: int
    data_workers: tuple[int, ...]
    data_in_memory_reps: int
    epoch_rounds: int
    epoch_batches: int | None
    epoch_warmup_batches: int
    predict_loop_batches: tuple[int, ...] = (16, 64, 256, 512)
    engine_rounds: int = 7
    engine_batches: int = 20
    batch_size: int = 256
    num_samples: int = defaults.SAMPLES
    estimators: tuple[str, ...] = ("bbb", "lrt", "flipout")
    models: tuple[str, ...] = field(default=("lenet", "3conv3fc"))


FULL = Settings(
    step_rounds=15,
    step_reps={"lenet": 10, "3conv3fc": 2},
    step_warmup=3,
    predict_rounds=9,
    predict_chunks=(25,),
    data_batches=40,
    data_rounds=9,
    data_workers=(0, 1),
    data_in_memory_reps=20,
    epoch_rounds=5,
    epoch_batches=None,
    epoch_warmup_batches=10,
)
QUICK = Settings(
    step_rounds=3,
    step_reps={"lenet": 3, "3conv3fc": 1},
    step_warmup=1,
    predict_rounds=3,
    predict_chunks=(),
    data_batches=8,
    data_rounds=3,
    data_workers=(0, 1),
    data_in_memory_reps=10,
    epoch_rounds=3,
    epoch_batches=12,
    epoch_warmup_batches=3,
    engine_rounds=3,
    engine_batches=4,
    predict_loop_batches=(16, 256),
)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description="Benchmarks of bayescnn; every number is a ratio of interleaved variants.",
    )
    parser.add_argument("--quick", action="store_true", help="short smoke run (~1 minute)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma-separated subset of {','.join(SECTIONS)} (default: all)",
    )
    parser.add_argument("--data-dir", default=None, help="folder searched first for the data")
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="JSON file (default benchmarks/results-<device>[-quick].json)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--models",
        default=None,
        help="comma-separated architectures of the step section (default lenet,3conv3fc; "
        "resnet18 too: batch 128, CIFAR stem)",
    )
    args = parser.parse_args(argv)
    args.sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = sorted(set(args.sections) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown sections {unknown}; choose from {', '.join(SECTIONS)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen sections, print the table and write the JSON file."""
    args = parse_args(argv)
    allocator_tuned = tune_cpu_allocator()  # as the bayescnn command does
    try:
        device = resolve_device(args.device)
    except BayesCNNError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    settings = QUICK if args.quick else FULL
    output = args.output or HERE / f"results-{args.device}{'-quick' if args.quick else ''}.json"
    meta = {
        "mode": "quick" if args.quick else "full",
        "environment": environment(device) | {"cpu_allocator_tuned": allocator_tuned},
    }
    print(f"bayescnn benchmarks ({meta['mode']}) on {device}: {meta['environment']}")

    data: FashionMnist | None = None
    if {"data", "epoch"} & set(args.sections):
        try:
            data = load_fashion_mnist(args.data_dir)
        except DataNotFoundError as error:
            print(f"skipping the data and epoch sections: {error}", file=sys.stderr)

    jobs: dict[str, Callable[[], list[Row]]] = {
        "step": lambda: bench_train_step(
            device,
            models=args.models.split(",") if args.models else settings.models,
            estimators=settings.estimators,
            batch_size=settings.batch_size,
            rounds=settings.step_rounds,
            reps=settings.step_reps,
            warmup=settings.step_warmup,
            seed=args.seed,
        ),
        "predict-loop": lambda: bench_predict_vs_loop(
            device,
            estimators=settings.estimators,
            num_samples=settings.num_samples,
            batch_sizes=settings.predict_loop_batches,
            rounds=settings.predict_rounds,
            seed=args.seed,
        ),
        "engine": lambda: bench_engine(
            device,
            batch_size=settings.batch_size,
            batches=settings.engine_batches,
            rounds=settings.engine_rounds,
            seed=args.seed,
        ),
        "predict": lambda: [
            *bench_predict(
                device,
                estimators=settings.estimators,
                num_samples=settings.num_samples,
                batch_size=settings.batch_size,
                chunk_sizes=settings.predict_chunks,
                rounds=settings.predict_rounds,
                seed=args.seed,
            ),
            # a small batch, where vectorising pays even on a CPU
            *bench_predict(
                device,
                estimators=settings.estimators,
                num_samples=settings.num_samples,
                batch_size=SMALL_PREDICT_BATCH,
                rounds=settings.predict_rounds,
                seed=args.seed,
            ),
        ],
    }
    if data is not None:
        jobs["data"] = lambda: bench_data_path(
            device,
            data.raw,
            data.resized,
            data.mean,
            data.std,
            batch_size=settings.batch_size,
            batches=settings.data_batches,
            workers=settings.data_workers,
            rounds=settings.data_rounds,
            in_memory_reps=settings.data_in_memory_reps,
            seed=args.seed,
            resize_seconds=data.resize_seconds,
        )
        jobs["epoch"] = lambda: bench_epoch(
            device,
            data.resized,
            data.mean,
            data.std,
            batch_size=settings.batch_size,
            max_batches=settings.epoch_batches,
            rounds=settings.epoch_rounds,
            warmup_batches=settings.epoch_warmup_batches,
            seed=args.seed,
        )

    rows: list[Row] = []
    seconds: dict[str, float] = {}
    skipped = [name for name in args.sections if name not in jobs]
    for name in args.sections:
        if name not in jobs:
            continue
        start = time.perf_counter()
        section_rows = jobs[name]()
        seconds[name] = time.perf_counter() - start
        rows += section_rows
        print(f"\n[{name}: {seconds[name]:.1f} s]\n{format_table(section_rows)}", flush=True)

    print("\n" + "=" * 100 + "\nSummary (medians over interleaved rounds; ratios paired by round)")
    print(format_table(rows))
    meta |= {"section_seconds": seconds, "skipped_sections": skipped}
    write_json(output, rows, meta)
    print(f"\nwrote {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
