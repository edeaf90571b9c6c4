"""What each ``bayescnn`` command does: thin compositions of the library."""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bayescnn.cli.train_options import flag, flag_error, train_overrides
from bayescnn.errors import ConfigError, InvalidArgumentError

if TYPE_CHECKING:  # the commands import the library when they run, for a fast --help
    import torch

    from bayescnn.data import ImageData
    from bayescnn.runs.compared import ComparedModel

log = logging.getLogger("bayescnn.train")


@contextmanager
def _run_log(path: Path, *, is_main: bool) -> Iterator[None]:
    """Copy the training log into ``path`` (rank 0); other ranks log warnings only."""
    if not is_main:
        log.setLevel(logging.WARNING)
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        yield
    finally:
        log.removeHandler(handler)
        handler.close()


def _remove_failed_start(log_file: Path, before: set[Path], new_dirs: list[Path]) -> None:
    """Undo a start that failed before writing more than its log: remove the log, and the
    folders this call created if they are empty (``before``: the run folder's entries)."""
    folder = log_file.parent
    if not folder.is_dir() or set(folder.iterdir()) - before != {log_file}:
        return
    log_file.unlink()
    for path in new_dirs:  # deepest first; a folder that holds anything else is kept
        with suppress(OSError):
            path.rmdir()


def _epochs(count: int) -> str:
    return f"{count} epoch" + "s" * (count != 1)


def _finished(folder: Path, epochs_done: int) -> str:
    """What resuming a finished run prints (and then exits 0)."""
    return (
        f"{folder} is finished ({_epochs(epochs_done)}, tested): nothing to resume; to train "
        f"it longer: bayescnn train --resume {folder} --epochs N (N > {epochs_done})"
    )


def cmd_train(args: argparse.Namespace) -> int:
    from bayescnn.io import check_writable_dir
    from bayescnn.runs import (
        RunFiles,
        TrainConfig,
        default_run_dir,
        matching_run_progress,
        read_config_file,
        read_run_progress,
        resume_config,
        train_run,
    )
    from bayescnn.train import distributed

    overrides = train_overrides(args)
    resume = args.resume is not None
    if resume:
        others = [flag(key) for key in overrides if key != "epochs"]
        others += ["--config"] * bool(args.config) + ["--run-dir"] * bool(args.run_dir)
        if others:
            raise ConfigError(
                "--resume continues a run with its saved config; give no other options but "
                f"--epochs N (to train it to N epochs in all), got {' '.join(others)}"
            )
        folder = Path(args.resume)
        progress = read_run_progress(folder)
        epochs = overrides.get("epochs")
        if progress.finished and epochs in (None, progress.config.epochs):
            print(_finished(folder, progress.epochs_done))
            return 0
        try:
            config = resume_config(folder, epochs)
        except ConfigError as error:
            raise flag_error(error, overrides) from None
    else:
        values = read_config_file(args.config) if args.config else {}
        try:
            config = TrainConfig.from_dict(values | overrides)
        except ConfigError as error:
            raise flag_error(error, overrides) from None
        if args.resume_if_exists and not args.run_dir and config.run_name is None:
            raise ConfigError(
                "--resume-if-exists needs a run folder that is the same at every start: give "
                "--run-dir RUN or --run-name NAME (the default folder's name holds the time "
                "it started, so a rerun would never find the run)"
            )
        folder = Path(args.run_dir) if args.run_dir else default_run_dir(config)
        if args.resume_if_exists:
            # Every rank reads the folder before joining the group, and no rank of this
            # job writes a checkpoint or test.json before train_run's first barrier,
            # which waits for them all: every rank decides alike.
            found = matching_run_progress(config, folder)
            if found is not None and found.finished:
                print(_finished(folder, found.epochs_done))
                return 0
            resume = found is not None
    dist = distributed.setup(config.device)
    log_file = RunFiles(folder).log
    before = set(folder.iterdir()) if folder.is_dir() else set()
    new_dirs = [path for path in (folder, *folder.parents) if not path.exists()]
    try:
        if dist.is_main:  # before the log file: a bad folder is one line, not a traceback
            what = "--resume" if args.resume else "--run-dir" if args.run_dir else "run folder"
            check_writable_dir(folder, what=what)
        with _run_log(log_file, is_main=dist.is_main):
            folder, _ = train_run(config, folder, resume=resume, dist=dist)
    except BaseException:
        if dist.is_main and log_file not in before:
            _remove_failed_start(log_file, before, new_dirs)
        raise
    finally:
        distributed.teardown(dist)
    if dist.is_main:
        print(f"run folder: {folder} (test.json, metrics.jsonl, best.safetensors)")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from bayescnn.runs import build_test_report, load_splits, make_loader
    from bayescnn.runs.compared import load_compared
    from bayescnn.runtime.device import resolve_device
    from bayescnn.seeding import Stream, seeded

    device = resolve_device(args.device)
    compared = load_compared(args.run, device)
    config = compared.run.config
    if args.data_dir is not None:
        config.data_dir = args.data_dir
    splits = load_splits(config)
    loader = make_loader(splits.test, splits, config, device, train=False)
    samples = args.samples or config.test_samples
    report: dict[str, Any] = {
        "checkpoint": [str(p) for p in args.run]
        if compared.members > 1
        else str(compared.run.checkpoint)
    }
    with seeded(config.seed, device, stream=Stream.TEST):  # the same report every time
        report |= build_test_report(compared.model, loader, samples=samples, progress=True)
    print(json.dumps(report, indent=2))
    return 0


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name).strip("-") or "ood"


def uncertainty_dir(run_folder: Path, ood: str) -> Path:
    """``RUN/uncertainty-OOD``: an OOD set given as a path is named by its last part
    (``--ood /tmp/nc/ood`` -> ``uncertainty-ood``)."""
    return run_folder / f"uncertainty-{_slug(Path(ood).name)}"


def cmd_uncertainty(args: argparse.Namespace) -> int:
    from bayescnn.data import default_ood_set, load_dataset, load_ood_set
    from bayescnn.io import check_writable_dir
    from bayescnn.reports import format_comparison_table, format_summary_table
    from bayescnn.runs.compared import load_compared, split_run_groups
    from bayescnn.runtime.device import resolve_device

    device = resolve_device(args.device)
    models = [load_compared(paths, device) for paths in [args.run, *split_run_groups(args.compare)]]
    config = models[0].run.config
    ood_name = args.ood
    if ood_name is None:
        ood_name = default_ood_set(config.dataset)
        print(f"OOD set: {ood_name} (the default for {config.dataset})")
    base = (
        Path(args.out_dir)
        if args.out_dir
        else uncertainty_dir(models[0].run.checkpoint.parent, ood_name)
    )
    check_writable_dir(base, min_free_bytes=0, what="--out-dir" if args.out_dir else "folder")
    data_dir = args.data_dir or config.data_dir
    _, test = load_dataset(config.dataset, data_dir, image_size=config.image_size, seed=config.seed)
    if args.limit is not None:
        test = test.subset(range(min(args.limit, len(test))))
    ood = load_ood_set(ood_name, like=test, data_dir=data_dir, seed=config.seed, limit=args.limit)
    summaries = []
    for compared in models:
        out_dir = base / _slug(compared.label) if len(models) > 1 else base
        summary = _score_compared(compared, test, ood, ood_name, args, out_dir, device)
        summaries.append(summary)
        if len(models) == 1:
            print(format_summary_table(summary, markdown=args.markdown))
    if len(models) > 1:
        (base / "comparison.json").write_text(json.dumps(summaries, indent=2) + "\n")
        print(format_comparison_table(summaries, markdown=args.markdown))
    print(f"report written to {base}")
    return 0


def _score_compared(
    compared: ComparedModel,
    test: ImageData,
    ood: ImageData,
    ood_name: str,
    args: argparse.Namespace,
    out_dir: Path,
    device: torch.device,
) -> dict[str, Any]:
    """One compared model's uncertainty report, with its label and its costs."""
    from bayescnn.reports import uncertainty_report
    from bayescnn.seeding import Stream, seeded

    config = compared.run.config
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with seeded(config.seed, device, stream=Stream.TEST):  # the same report every time
        summary = uncertainty_report(
            compared.model,
            test,
            ood,
            mean=compared.run.spec.mean,
            std=compared.run.spec.std,
            samples=args.samples,
            device=device,
            out_dir=out_dir,
            ood_name=ood_name,
            in_name=config.dataset,
        )
    summary["model"] = compared.label
    summary["members"] = compared.members
    summary["train_seconds"] = compared.train_seconds
    summary["report_seconds"] = time.perf_counter() - started
    return summary


def cmd_plot(args: argparse.Namespace) -> int:
    from bayescnn.io import check_writable_dir
    from bayescnn.reports import plot_training_curves, plot_weight_distributions
    from bayescnn.runs import RunFiles, open_run

    run = open_run(args.run)
    twin = None
    if args.frequentist:
        if not run.config.bayesian:
            raise InvalidArgumentError(
                f"{args.run} is a frequentist run; --frequentist TWIN compares a Bayesian run's "
                "weights with its frequentist twin"
            )
        twin_run = open_run(args.frequentist)
        if twin_run.config.bayesian:
            raise InvalidArgumentError(
                f"--frequentist {args.frequentist} is a Bayesian run; give the twin trained "
                "with --frequentist"
            )
        twin = twin_run.model
    files = RunFiles(check_writable_dir(run.checkpoint.parent, min_free_bytes=0, what="run folder"))
    curves = files.root / "training_curves.png"
    weights = files.root / "weight_distributions.png"
    targets = (curves, weights) if run.config.bayesian else (curves,)
    existing = [str(path) for path in targets if path.exists()]
    if existing and not args.overwrite:
        raise InvalidArgumentError(
            f"{' and '.join(existing)} already exist; pass --overwrite to replace them"
        )
    written = [plot_training_curves(files.read_metrics(), curves)]
    if run.config.bayesian:
        written.append(plot_weight_distributions(run.model, twin, out_png=weights))
    for path in written:
        print(f"wrote {path}")
    return 0
