"""``bayescnn export``: a trained run as an ONNX file or a ``torch.export`` program."""

from __future__ import annotations

import argparse
import logging

from bayescnn.deploy import ExportFormat

__all__ = ["add_export_command", "cmd_export"]

log = logging.getLogger("bayescnn.cli")


def add_export_command(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Add ``export RUN --format FORMAT --out FILE [--samples S]`` to ``subparsers``
    (what ``ArgumentParser.add_subparsers`` returned)."""
    formats = [f.value for f in ExportFormat]
    parser = subparsers.add_parser(
        "export",
        help="export a trained run to ONNX or a torch.export program",
        description="Write the run's posterior-mean network (input -> logits), or with "
        "--samples S its Monte-Carlo predictive (input -> mean_probs, aleatoric, epistemic, "
        "S weight draws inside the graph). The graph takes a batch of normalised images, "
        "any batch size.",
    )
    parser.add_argument("run", metavar="RUN_OR_CHECKPOINT", help="run folder or .safetensors file")
    parser.add_argument(
        "--format",
        choices=formats,
        default=ExportFormat.ONNX.value,
        help=f"{' or '.join(formats)} (default: onnx)",
    )
    parser.add_argument("--out", required=True, metavar="FILE", help="the file to write")
    parser.add_argument(
        "--samples",
        type=int,
        metavar="S",
        help="export the Monte-Carlo predictive with S weight draws per run "
        "(default: the posterior-mean network)",
    )
    parser.set_defaults(handler=cmd_export)
    return parser


def _numbers(values: tuple[float, ...]) -> str:
    return "(" + ", ".join(f"{v:.4g}" for v in values) + ")"


def cmd_export(args: argparse.Namespace) -> int:
    import torch

    from bayescnn.deploy import export
    from bayescnn.io import check_writable_file
    from bayescnn.runs import open_run

    check_writable_file(args.out, what="--out", example=f"model.{args.format}")
    run = open_run(args.run)
    spec, size = run.spec, run.config.image_size
    image_shape = (spec.in_channels, size, size)
    what = "the posterior-mean network" if args.samples is None else f"{args.samples} samples"
    log.info("exporting %s: tracing, then translating to %s (can take a minute)", what, args.format)
    path = export(
        run.model,
        torch.zeros(1, *image_shape),
        args.out,
        format=args.format,
        samples=args.samples,
    )
    classes = spec.num_classes
    if args.samples is None:
        graph = f"posterior-mean network: input -> logits (N, {classes})"
    else:
        graph = (
            f"Monte-Carlo predictive, {args.samples} weight draws per run: input -> "
            f"mean_probs (N, {classes}), aleatoric (N,), epistemic (N,) in nats"
        )
    print(f"wrote {path} ({ExportFormat.parse(args.format).value}, {graph})")
    resized = " resized to" if (size, size) != tuple(spec.image_size) else ""
    print(
        f"input: float32 (N, {', '.join(map(str, image_shape))}), any N: {spec.name} images"
        f"{resized} {size}x{size}, pixels x in [0, 1] normalised per channel as "
        f"(x - mean) / std, mean {_numbers(spec.mean)}, std {_numbers(spec.std)}"
    )
    return 0
