"""``bayescnn``: train, evaluate, report uncertainty and plot, from the command line."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from bayescnn.cli.train_options import add_train_options, train_overrides

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
    from bayescnn.train.loop import _loader, load_splits, resolve_device

    device = resolve_device(args.device)
    run = load_run(args.run, device=device)
    config = run.config
    if args.data_dir is not None:
        config.data_dir = args.data_dir
    splits = load_splits(config)
    loader = _loader(splits.test, splits, config, device, train=False)
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bayescnn`` console script."""
    from bayescnn.data.errors import CorruptDataError, DataNotFoundError
    from bayescnn.io import CheckpointError, RunDirError
    from bayescnn.train import DivergenceError

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
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
