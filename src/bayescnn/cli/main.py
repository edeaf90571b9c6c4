"""``bayescnn``: train, evaluate, report uncertainty and plot, from the command line.

The command line owns its process: it alone configures logging, tunes the CPU
allocator and joins torchrun's process group. Errors the library raises on purpose
(:class:`bayescnn.BayesCNNError`) become one line and exit code 2; anything else is a
bug and shows its traceback (``--debug`` shows it for every error).
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
from collections.abc import Sequence

from bayescnn import __version__
from bayescnn.cli.calibrate_command import add_calibrate_command
from bayescnn.cli.commands import cmd_evaluate, cmd_plot, cmd_train, cmd_uncertainty
from bayescnn.cli.export_command import add_export_command
from bayescnn.cli.posterior_commands import add_posterior_commands
from bayescnn.cli.predict_command import add_predict_command
from bayescnn.cli.renamed_flags import RenamedFlag
from bayescnn.cli.samples_option import add_samples_option
from bayescnn.cli.shift_command import add_shift_command
from bayescnn.cli.train_options import add_train_options
from bayescnn.deprecation import deprecate
from bayescnn.errors import BayesCNNError
from bayescnn.runs.config import NOT_COMPARED_KEYS
from bayescnn.runtime.cpu_allocator import tune_cpu_allocator

EXIT_BAD_INPUT = 2

_PLOT_FORCE = deprecate("bayescnn plot --force", "bayescnn plot --overwrite", "as predict names it")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bayescnn",
        description="Bayesian CNNs trained by variational inference (Bayes by Backprop).",
    )
    parser.add_argument(
        "--debug", action="store_true", help="show the full traceback of every error"
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
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
    resuming = train.add_mutually_exclusive_group()
    resuming.add_argument(
        "--resume", metavar="RUN", help="continue an interrupted run folder exactly"
    )
    resuming.add_argument(
        "--resume-if-exists",
        action="store_true",
        help="make the command safe to run again (after a crash, a preemption, under torchrun "
        "--max-restarts): continue the run in --run-dir (or OUT_DIR/RUN_NAME) from its last "
        "checkpoint if it holds one of the same config, else start it; a run of another "
        "config is refused, naming the keys that differ (these may differ: "
        f"{', '.join(NOT_COMPARED_KEYS)})",
    )
    add_train_options(train)
    train.set_defaults(handler=cmd_train)

    evaluate = commands.add_parser("evaluate", help="evaluate a trained run on its test set")
    evaluate.add_argument(
        "run",
        metavar="RUN_OR_CHECKPOINT",
        nargs="+",
        help="run folder or .safetensors file; several form a deep ensemble (their mean)",
    )
    evaluate.add_argument(
        "--samples", type=int, help="Monte-Carlo samples (default: the run's test_samples)"
    )
    evaluate.add_argument("--data-dir", help="folder searched first for the data")
    evaluate.add_argument("--device", default="auto", help="auto, cpu or cuda")
    evaluate.set_defaults(handler=cmd_evaluate)

    report = commands.add_parser(
        "uncertainty",
        help="aleatoric/epistemic uncertainty, calibration and OOD detection of a trained run",
        description="Compare the run's test set with an out-of-distribution set: prints a table "
        "and writes uncertainty.json, uncertainty_scores.csv and PNG figures.",
    )
    report.add_argument(
        "run",
        metavar="RUN_OR_CHECKPOINT",
        nargs="+",
        help="run folder or .safetensors file; several form a deep ensemble (their mean)",
    )
    report.add_argument(
        "--compare",
        metavar="RUN[,RUN...]",
        action="append",
        help="another model scored with the same data and samples: a run, or comma-separated "
        "runs (an ensemble); repeat for more; prints one table of all and writes "
        "comparison.json",
    )
    report.add_argument(
        "--ood",
        help="digits (scikit-learn's handwritten digits), noise, gaussian-noise, inverted, "
        "vflip, a dataset name, or a folder of images, flat or in class subfolders (e.g. "
        "notMNIST) (default: the run's dataset's: fashion-mnist for mnist, digits for "
        "fashion-mnist, svhn for cifar10/cifar100, cifar10 for svhn, noise for others)",
    )
    add_samples_option(report)
    report.add_argument("--limit", type=int, help="use at most N images of each set")
    report.add_argument("--out-dir", help="where to write (default: RUN/uncertainty-OOD)")
    report.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    report.add_argument("--data-dir", help="folder searched first for the data")
    report.add_argument("--device", default="auto", help="auto, cpu or cuda")
    report.set_defaults(handler=cmd_uncertainty)

    plot = commands.add_parser("plot", help="training curves and weight-distribution figures")
    plot.add_argument("run", metavar="RUN", help="run folder")
    plot.add_argument(
        "--frequentist", metavar="RUN", help="a frequentist twin run to compare weights with"
    )
    plot.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the run's existing figures (without it, plot refuses to)",
    )
    plot.add_argument("--force", dest="overwrite", action=RenamedFlag, switch=True,
                      deprecation=_PLOT_FORCE)  # fmt: skip
    plot.set_defaults(handler=cmd_plot)
    add_predict_command(commands)
    add_posterior_commands(commands)
    add_shift_command(commands)
    add_calibrate_command(commands)
    add_export_command(commands)
    return parser


def _error_line(error: BayesCNNError, argv: Sequence[str]) -> str:
    """The one line an error becomes; for a damaged checkpoint with an intact one beside it,
    with the command that was run, the damaged path replaced by the intact one."""
    from bayescnn.io import DamagedCheckpointError

    if not isinstance(error, DamagedCheckpointError):
        return str(error)
    given, intact = str(error.given), str(error.intact)

    def replaced(word: str) -> str:
        option, equals, value = word.partition("=")  # --frequentist=RUN
        if equals and option.startswith("-") and value == given:
            return f"{option}={intact}"
        return intact if word == given else word

    retry = [replaced(word) for word in argv]
    if retry == list(argv):  # the path came from elsewhere (a config): nothing to replace
        return str(error)
    return f"{error} (e.g. bayescnn {shlex.join(retry)})"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bayescnn`` console script."""
    # stdout is the command's own output (JSON, tables); the log, progress included, goes
    # to stderr. Only bayescnn's own messages at INFO: the libraries it drives (the ONNX
    # optimiser, torch.export) would otherwise fill it with their passes.
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    logging.getLogger("bayescnn").setLevel(logging.INFO)
    tune_cpu_allocator()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    code = _run(args, argv)
    distributed = sys.modules.get("bayescnn.train.distributed")  # imported by train alone
    if distributed is not None and distributed.joined_a_group():
        distributed.exit_process(code)  # under torchrun: see exit_process for why
    return code


def _run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """The command's exit code: 0, 1 for a diverged run, 2 for bad input, 130 interrupted."""
    from bayescnn.train import DivergenceError

    try:
        code: int = args.handler(args)  # the command's cmd_* function
        return code
    except DivergenceError as error:
        if args.debug:
            raise
        print(f"bayescnn: training diverged: {error}", file=sys.stderr)
        return 1
    except BayesCNNError as error:
        if args.debug:
            raise
        print(f"bayescnn: error: {_error_line(error, argv)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("bayescnn: interrupted; resume with `bayescnn train --resume RUN`", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
