"""``bayescnn shift``: a trained run (and its frequentist twin) under corrupted test images."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bayescnn.cli.samples_option import add_samples_option

__all__ = ["SHIFT_FILES", "add_shift_command", "cmd_shift"]

SHIFT_FILES = {
    "records": "shift.json",
    "table": "shift.csv",
    "boxplots": "shift_boxplots.png",
    "risk_coverage": "risk_coverage.png",
}
"""The files ``bayescnn shift`` writes into its output folder, by role."""


def add_shift_command(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Add ``shift RUN [--frequentist TWIN] [--corruptions ...] [--severities ...] ...`` to
    ``subparsers`` (what ``ArgumentParser.add_subparsers`` returned)."""
    from bayescnn.shift import list_corruptions

    parser = subparsers.add_parser(
        "shift",
        help="accuracy, calibration and uncertainty of a trained run under corrupted test images",
        description="Corrupt the run's test set on the fly (CIFAR-10-C/MNIST-C corruptions, "
        "severities 1-5) and score the run, and its frequentist twin if given: writes "
        "shift.json and shift.csv (one row per model, corruption and severity; severity 0 is "
        "the clean test set), box plots of accuracy and ECE per severity and risk-coverage "
        "curves.",
    )
    parser.add_argument("run", metavar="RUN_OR_CHECKPOINT", help="run folder or .safetensors file")
    parser.add_argument(
        "--frequentist", metavar="TWIN", help="a frequentist run of the same data to compare with"
    )
    parser.add_argument(
        "--corruptions",
        default="all",
        metavar="NAME[,NAME...]",
        help=f"all, or some of: {', '.join(list_corruptions())} (default: all)",
    )
    parser.add_argument(
        "--severities",
        default="1-5",
        help="severities from 1 to 5, as a range or a list: 1-5, 1,3,5 (default: 1-5)",
    )
    add_samples_option(parser)
    parser.add_argument("--limit", type=int, help="use the first N test images")
    parser.add_argument("--batch-size", type=int, default=500, help="images per forward pass")
    parser.add_argument("--out-dir", help="where to write (default: RUN/shift)")
    parser.add_argument("--data-dir", help="folder searched first for the data")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.set_defaults(handler=cmd_shift)
    return parser


def _kind(run: Any) -> str:
    return "bayesian" if run.config.bayesian else "frequentist"


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def _table(rows_by_model: Mapping[str, Sequence[Mapping[str, Any]]]) -> str:
    """Per severity and model: accuracy, ECE and AURC (entropy), means over corruptions."""
    columns = ("accuracy", "ece", "aurc_entropy")
    from bayescnn.reports.tables import text_table

    header = ["severity"] + [f"{m} {c}" for m in rows_by_model for c in columns]
    lines = []
    severities = sorted({row["severity"] for rows in rows_by_model.values() for row in rows})
    for severity in severities:
        line = ["clean" if severity == 0 else str(severity)]
        for rows in rows_by_model.values():
            chosen = [row for row in rows if row["severity"] == severity]
            line += [f"{_mean([row[c] for row in chosen]):.4f}" for c in columns]
        lines.append(line)
    return text_table(header, lines, align=">", rule=False)


def cmd_shift(args: argparse.Namespace) -> int:
    from bayescnn.data import load_dataset
    from bayescnn.errors import InvalidArgumentError
    from bayescnn.io import check_writable_dir
    from bayescnn.reports import plot_risk_coverage, plot_shift_boxplots
    from bayescnn.runs import open_run
    from bayescnn.runtime.device import resolve_device
    from bayescnn.shift import (
        evaluate_shift,
        parse_corruptions,
        parse_severities,
        write_shift_records,
    )

    corruptions = parse_corruptions(args.corruptions)  # bad input fails before any work
    severities = parse_severities(args.severities)
    for name in ("samples", "limit", "batch_size"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise InvalidArgumentError(f"--{name.replace('_', '-')} must be >= 1, got {value}")
    device = resolve_device(args.device)
    run = open_run(args.run, device=device)
    runs = {_kind(run): run}
    if args.frequentist:
        twin = open_run(args.frequentist, device=device)
        if twin.config.bayesian or not run.config.bayesian:
            raise InvalidArgumentError(
                "--frequentist pairs a Bayesian RUN with a frequentist TWIN; got a "
                f"{_kind(run)} RUN and a {_kind(twin)} TWIN"
            )
        theirs = (twin.config.dataset, twin.config.image_size)
        ours = (run.config.dataset, run.config.image_size)
        if theirs != ours:
            raise InvalidArgumentError(
                f"the twin was trained on {theirs[0]} at {theirs[1]} px, the run on "
                f"{ours[0]} at {ours[1]} px"
            )
        runs["frequentist"] = twin
    out_dir = Path(args.out_dir) if args.out_dir else run.checkpoint.parent / "shift"
    check_writable_dir(out_dir, min_free_bytes=0, what="--out-dir" if args.out_dir else "folder")
    config = run.config
    _, test = load_dataset(  # a folder dataset's test split is the run's seeded one
        config.dataset,
        args.data_dir or config.data_dir,
        image_size=config.image_size,
        seed=config.seed,
    )
    if args.limit is not None:
        test = test.subset(range(min(args.limit, len(test))))

    records = {
        kind: evaluate_shift(
            loaded.model,
            test,
            mean=loaded.spec.mean,
            std=loaded.spec.std,
            corruptions=corruptions,
            severities=severities,
            samples=args.samples,
            seed=config.seed,  # one seed: both models see the same corrupted images
            device=device,
            batch_size=args.batch_size,
        )
        for kind, loaded in runs.items()
    }
    rows = {kind: [{"model": kind, **r.to_dict()} for r in records[kind]] for kind in records}
    written: tuple[Path, ...] = write_shift_records(
        [row for kind_rows in rows.values() for row in kind_rows],
        out_dir / SHIFT_FILES["records"],
        out_dir / SHIFT_FILES["table"],
    )
    written += (
        plot_shift_boxplots(rows, out_dir / SHIFT_FILES["boxplots"]),
        plot_risk_coverage(records, out_dir / SHIFT_FILES["risk_coverage"]),
    )
    print(f"{len(test)} test images, means over {len(corruptions)} corruption(s):")
    print(_table(rows))
    for path in written:
        print(f"wrote {path}")
    return 0
