"""``bayescnn``: train, evaluate, report uncertainty and plot, from the command line."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import torch

from bayescnn.cli.train_options import add_train_options, train_overrides
from bayescnn.cpu_allocator import tune_cpu_allocator

EXIT_BAD_INPUT = 2


def _cmd_train(args: argparse.Namespace) -> int:
    from bayescnn.train import TrainConfig, fit, read_config_file, resume

    if args.resume is not None:
        if train_overrides(args) or args.config:
            raise ValueError(
                "--resume continues a run with its saved config; give no other options"
            )
        folder, report = resume(args.resume)
    else:
        values = read_config_file(args.config) if args.config else {}
        values |= train_overrides(args)
        folder, report = fit(TrainConfig.from_dict(values), run_dir=args.run_dir)
    print(json.dumps(report, indent=2))
    print(f"run folder: {folder}")
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from bayescnn.train import evaluate, load_run
    from bayescnn.train.distributed import resolve_device
    from bayescnn.train.loop import load_splits, make_loader

    device = resolve_device(args.device)
    run = load_run(args.run, device=device)
    config = run.config
    torch.manual_seed(config.seed)
    if args.data_dir is not None:
        config.data_dir = args.data_dir
    splits = load_splits(config)
    loader = make_loader(splits.test, splits, config, device, train=False)
    samples = args.samples or config.test_samples
    report = {
        "checkpoint": str(run.checkpoint),
        "predictive": evaluate(run.model, loader, samples=samples),
    }
    if config.bayesian:
        report["samples"] = samples
        report["posterior_mean"] = evaluate(run.model, loader, posterior_mean=True)
    print(json.dumps(report, indent=2))
    return 0


def _cmd_uncertainty(args: argparse.Namespace) -> int:
    from bayescnn.data import load_dataset
    from bayescnn.reports import format_summary_table, uncertainty_report
    from bayescnn.train import load_run
    from bayescnn.train.distributed import resolve_device
    from bayescnn.uncertainty import load_ood_set

    device = resolve_device(args.device)
    run = load_run(args.run, device=device)
    config = run.config
    torch.manual_seed(config.seed)  # reproducible weight noise: the same report every time
    data_dir = args.data_dir or config.data_dir
    _, test = load_dataset(config.dataset, data_dir, image_size=config.image_size)
    if args.limit is not None:
        test = test.subset(range(min(args.limit, len(test))))
    ood = load_ood_set(args.ood, like=test, data_dir=data_dir, seed=config.seed, limit=args.limit)
    out_dir = (
        Path(args.out_dir)
        if args.out_dir
        else run.checkpoint.parent / f"uncertainty-{_slug(args.ood)}"
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = uncertainty_report(
        run.model,
        test,
        ood,
        mean=run.spec.mean,
        std=run.spec.std,
        samples=args.samples,
        device=device,
        out_dir=out_dir,
        ood_name=args.ood,
        in_name=config.dataset,
    )
    print(format_summary_table(summary, markdown=args.markdown))
    print(f"report written to {out_dir}")
    return 0


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name).strip("-") or "ood"


def _cmd_plot(args: argparse.Namespace) -> int:
    from bayescnn.reports import plot_training_curves, plot_weight_distributions
    from bayescnn.train import RunFiles, load_run

    run = load_run(args.run)
    files = RunFiles(run.checkpoint.parent)
    written = [plot_training_curves(files.read_metrics(), files.root / "training_curves.png")]
    if run.config.bayesian:
        twin = load_run(args.frequentist).model if args.frequentist else None
        written.append(
            plot_weight_distributions(
                run.model, twin, out_png=files.root / "weight_distributions.png"
            )
        )
    for path in written:
        print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bayescnn",
        description="Bayesian CNNs trained by variational inference (Bayes by Backprop).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = commands.add_parser(
        "train",
        help="train a Bayesian (or frequentist) model and evaluate it on the test set",
        description="Train a model; writes config.yaml, metrics.jsonl, best/last checkpoints, "
        "train.log and test.json into a run folder. Flags override --config file keys.",
    )
    train.add_argument("--config", help="YAML or TOML file of training options")
    train.add_argument(
        "--run-dir", help="the run folder (default: OUT_DIR/DATASET-MODEL-KIND-TIME)"
    )
    train.add_argument("--resume", metavar="RUN", help="continue an interrupted run folder exactly")
    add_train_options(train)
    train.set_defaults(handler=_cmd_train)

    evaluate = commands.add_parser("evaluate", help="evaluate a trained run on its test set")
    evaluate.add_argument(
        "run", metavar="RUN_OR_CHECKPOINT", help="run folder or .safetensors file"
    )
    evaluate.add_argument(
        "--samples", type=int, help="Monte-Carlo samples (default: the run's test_samples)"
    )
    evaluate.add_argument("--data-dir", help="folder searched first for the data")
    evaluate.add_argument("--device", default="auto", help="auto, cpu or cuda")
    evaluate.set_defaults(handler=_cmd_evaluate)

    report = commands.add_parser(
        "uncertainty",
        help="aleatoric/epistemic uncertainty, calibration and OOD detection of a trained run",
        description="Compare the run's test set with an out-of-distribution set: prints a table "
        "and writes uncertainty.json, uncertainty_scores.csv and PNG figures.",
    )
    report.add_argument("run", metavar="RUN_OR_CHECKPOINT", help="run folder or .safetensors file")
    report.add_argument(
        "--ood",
        default="digits",
        help="digits (scikit-learn's handwritten digits), noise, inverted, vflip, a dataset "
        "name, or a folder of images (e.g. notMNIST) (default: digits)",
    )
    report.add_argument("--samples", type=int, default=25, help="Monte-Carlo samples (default: 25)")
    report.add_argument("--limit", type=int, help="use at most N images of each set")
    report.add_argument("--out-dir", help="where to write (default: RUN/uncertainty-OOD)")
    report.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    report.add_argument("--data-dir", help="folder searched first for the data")
    report.add_argument("--device", default="auto", help="auto, cpu or cuda")
    report.set_defaults(handler=_cmd_uncertainty)

    plot = commands.add_parser("plot", help="training curves and weight-distribution figures")
    plot.add_argument("run", metavar="RUN", help="run folder")
    plot.add_argument(
        "--frequentist", metavar="RUN", help="a frequentist twin run to compare weights with"
    )
    plot.set_defaults(handler=_cmd_plot)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bayescnn`` console script."""
    from bayescnn.data.errors import CorruptDataError, DataNotFoundError
    from bayescnn.io import CheckpointError, RunDirError
    from bayescnn.train import DivergenceError

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    tune_cpu_allocator()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (
        ValueError,
        TypeError,
        FileNotFoundError,
        FileExistsError,
        DataNotFoundError,
        CorruptDataError,
        CheckpointError,
        RunDirError,
    ) as error:
        print(f"bayescnn: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except DivergenceError as error:
        print(f"bayescnn: training diverged: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bayescnn: interrupted; resume with `bayescnn train --resume RUN`", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
