"""``bayescnn calibrate``: fit the temperature of a trained run, or of an ensemble of runs,
on the validation split (:func:`bayescnn.calibrate`)."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

__all__ = ["add_calibrate_command", "cmd_calibrate"]


def add_calibrate_command(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Add ``calibrate RUN [RUN ...] [--out FILE]`` to ``subparsers``."""
    parser = subparsers.add_parser(
        "calibrate",
        help="fit the temperature of a trained run (or of an ensemble of runs) on its "
        "validation split",
        description="One run: fit one temperature to its Monte-Carlo predictive on the "
        "run's validation split, as `bayescnn train` does at the end, and rewrite "
        "RUN/calibration.json, RUN/test.json (calibrated and raw predictive) and the "
        "uncertain flag's thresholds; the checkpoints are not touched. Several runs: one "
        "temperature for their averaged predictive (a deep ensemble), fitted on the "
        "validation split they all held out (their configs must split the data alike), "
        "printed and, with --out, written as JSON.",
    )
    parser.add_argument("runs", nargs="+", metavar="RUN", help="run folder(s)")
    parser.add_argument(
        "--out", metavar="FILE", help="several runs: write the ensemble's calibration here"
    )
    parser.add_argument(
        "--temperature-form",
        choices=["pooled", "per-sample"],
        help="where the temperature divides: pooled (the averaged predictive) or per-sample "
        "(each sample's logits); default: the run's own (pooled for runs trained since it "
        "exists, per-sample before)",
    )
    parser.add_argument("--data-dir", help="folder searched first for the data")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.set_defaults(handler=cmd_calibrate)
    return parser


def _check_shared_split(configs: list[Any]) -> None:
    """Refuse an ensemble whose members held out different validation examples: fitting on
    one member's validation split would fit on another member's training data."""
    from bayescnn.errors import InvalidArgumentError

    keys = ("dataset", "valid_size", "seed", "image_size")
    splits = {tuple(getattr(config, key) for key in keys) for config in configs}
    if len(splits) > 1:
        raise InvalidArgumentError(
            "the ensemble's runs split their data differently "
            f"({', '.join(keys)}: {sorted(splits, key=str)}), so no validation split is held "
            "out by all of them; calibrate each run alone (one `bayescnn calibrate RUN` each)"
        )


def cmd_calibrate(args: argparse.Namespace) -> int:
    from bayescnn.errors import InvalidArgumentError
    from bayescnn.io import check_writable_dir, check_writable_file
    from bayescnn.runs import load_splits
    from bayescnn.runs.calibration import calibrate_on_validation
    from bayescnn.runs.compared import load_compared
    from bayescnn.runs.files import RunFiles
    from bayescnn.runs.run import finish_run
    from bayescnn.runs.run_progress import read_run_config
    from bayescnn.runtime.device import resolve_device
    from bayescnn.train import distributed

    folders = [Path(run) for run in args.runs]
    not_folders = [str(folder) for folder in folders if not folder.is_dir()]
    if not_folders:
        raise InvalidArgumentError(
            f"calibrate takes run folders (it writes beside their checkpoints): {not_folders}"
        )
    if len(folders) == 1:
        if args.out is not None:
            raise InvalidArgumentError(
                "--out is for an ensemble of several runs; one run's calibration is written "
                f"to {folders[0] / 'calibration.json'}"
            )
        check_writable_dir(folders[0], what="run folder")
    elif args.out is not None:
        check_writable_file(args.out, what="--out", example="ensemble-calibration.json")
    if len(folders) > 1:
        _check_shared_split([read_run_config(folder) for folder in folders])
    device = resolve_device(args.device)
    compared = load_compared([str(folder) for folder in folders], device)
    config = compared.run.config
    if args.data_dir is not None:
        config.data_dir = args.data_dir
    if args.temperature_form is not None:
        config.temperature_form = args.temperature_form
    if len(folders) == 1:
        splits = load_splits(config)
        report = finish_run(
            compared.model,
            splits,
            dataclasses.replace(config, calibrate=True),
            RunFiles(folders[0]),
            distributed.current(device),
        )
        print(json.dumps(report, indent=2))
        return 0
    fit = calibrate_on_validation(compared.model, load_splits(config), config)
    if fit is None:
        raise InvalidArgumentError("the runs have no validation split (valid_size 0)")
    record = {"members": [str(folder.resolve()) for folder in folders], **fit.to_dict()}
    text = json.dumps(record, indent=2) + "\n"
    if args.out is not None:
        from bayescnn.io.atomic import atomic_write_bytes

        atomic_write_bytes(args.out, text.encode())
    print(text, end="")
    return 0
