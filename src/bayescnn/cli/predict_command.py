"""``bayescnn predict RUN PATH...``: the class and uncertainty of image files.

Each image is read as the run's training images were (PIL, converted to the run's
channels, resized by antialiased bilinear interpolation to the run's ``image_size``,
normalised with the run's mean and std) and predicted with ``S`` Monte-Carlo samples.
Its uncertainty is the entropy decomposition ``H[p̄] = mean_t H[p_t] + I`` in nats
(Depeweg et al., 2018): the expected entropy (aleatoric) and the mutual information
``I`` (epistemic). An image is flagged ``uncertain`` when its OOD score (``--flag-score``,
default :data:`bayescnn.defaults.FLAG_SCORE`) exceeds the run's threshold for it, the
score's ``1 - r`` quantile over the in-distribution validation split (``--flag-rate r``,
default 0.05): :mod:`bayescnn.runs.threshold`.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from bayescnn import defaults
from bayescnn.cli.samples_option import add_samples_option
from bayescnn.data.folder import IMAGE_EXTENSIONS, describe_image_folder
from bayescnn.data.image_files import find_images, read_image
from bayescnn.errors import InvalidArgumentError, MissingFileError, OutputExistsError
from bayescnn.uncertainty.scores import OOD_SCORES, list_ood_scores

if TYPE_CHECKING:
    from bayescnn.runs import LoadedRun
    from bayescnn.runs.threshold import Threshold
    from bayescnn.uncertainty import Prediction

__all__ = [
    "CSV_HEADER",
    "add_predict_command",
    "cmd_predict",
    "find_images",
    "read_image",
]

CSV_HEADER = (
    "path",
    "class",
    "probability",
    "aleatoric",
    "epistemic",
    "uncertain",
    "flag_score",
    "flag_value",
    "flag_threshold",
)
"""The columns of ``bayescnn predict``'s table and CSV file."""

_BATCH_SIZE = defaults.EVALUATION_BATCH_SIZE
_NAMED_SKIPPED = 3
"""How many unreadable files the summary names (stderr names them all)."""


def add_predict_command(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Add ``bayescnn predict`` to the command line's subparsers."""
    parser = subparsers.add_parser(
        "predict",
        help="class and aleatoric/epistemic uncertainty of image files, with an uncertain flag",
        description="Predict image files and folders (searched recursively for "
        f"{', '.join(IMAGE_EXTENSIONS)}) with a trained run: prints, per image, the class, "
        "its probability, the aleatoric (expected entropy) and epistemic (mutual "
        "information) uncertainty in nats, and whether an OOD score (--flag-score) exceeds "
        "the run's threshold for it (its 95th percentile on the validation split, for "
        "--flag-rate 0.05); the CSV names the score, its value and the threshold. "
        "Unreadable files are named on stderr, skipped and counted in the summary "
        "(an error with --strict).",
    )
    parser.add_argument("run", metavar="RUN", help="run folder or .safetensors file")
    parser.add_argument("paths", metavar="PATH", nargs="+", help="image files or folders")
    add_samples_option(parser, whose="the run's test_samples")
    parser.add_argument(
        "--out",
        metavar="FILE.csv",
        help="also write the table as CSV (a header, one row per image); an existing file "
        "is refused unless --overwrite is given",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="let --out replace an existing file",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="fail (exit 2, naming it) when a file cannot be read as an image or a path "
        "holds none, instead of skipping it",
    )
    parser.add_argument(
        "--flag-score",
        metavar="SCORE",
        help="the OOD score that flags an image uncertain: any registered score "
        f"({', '.join(list_ood_scores())}) (default: {defaults.FLAG_SCORE}, the best "
        "detector of OOD sets and noise at a fixed false-alarm rate in the measured results)",
    )
    parser.add_argument(
        "--flag-rate",
        type=float,
        default=defaults.FLAG_RATE,
        metavar="RATE",
        help="the flag's false-alarm rate on the validation split: the threshold is the "
        "score's (1 - RATE) quantile there (default: %(default)s)",
    )
    parser.add_argument(
        "--data-dir",
        help="folder searched first for the run's data (only to compute a threshold the run "
        "does not store)",
    )
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.set_defaults(handler=cmd_predict)
    return parser


def _read_images(
    files: Sequence[Path], channels: int, image_size: int, *, strict: bool = False
) -> tuple[list[Path], torch.Tensor | None, list[Path]]:
    """The readable files, their images and the unreadable files (each named on stderr).

    Raises:
        InvalidArgumentError: With ``strict``, at the first file that cannot be read.
    """
    readable: list[Path] = []
    images: list[torch.Tensor] = []
    skipped: list[Path] = []
    for path in files:
        try:
            images.append(read_image(path, channels, image_size))
        except MemoryError:
            raise  # running out of memory is not a damaged file
        except Exception as error:  # PIL raises many types for damaged files
            if strict:
                raise InvalidArgumentError(
                    f"cannot read {path} as an image ({error}); without --strict it would be "
                    "skipped"
                ) from None
            _note(f"skipped {path}: cannot read it as an image ({error})")
            skipped.append(path)
            continue
        readable.append(path)
    return readable, torch.cat(images) if images else None, skipped


def _batches(
    images: torch.Tensor, mean: Sequence[float], std: Sequence[float], device: torch.device
) -> Iterator[torch.Tensor]:
    """Normalised float batches ``(x / 255 - mean) / std``, as the training loader makes them."""
    from bayescnn.data import PixelNormalization

    normalize = PixelNormalization(mean, std, device)
    for start in range(0, len(images), _BATCH_SIZE):
        yield normalize(images[start : start + _BATCH_SIZE].to(device))


def _note(message: str) -> None:
    print(f"bayescnn: {message}", file=sys.stderr)


def _class_names(run: LoadedRun) -> tuple[str, ...] | None:
    """The run's class names in label order, if known without reading its data."""
    names = getattr(run.spec, "classes", None)
    if names is None and run.spec.folder is not None:
        names = describe_image_folder(run.spec.folder)[0]
    return tuple(names) if names is not None and len(names) == run.spec.num_classes else None


def _rows(
    paths: Sequence[Path],
    prediction: Prediction,
    classes: Sequence[str] | None,
    threshold: Threshold | None,
) -> list[list[Any]]:
    """One row of :data:`CSV_HEADER` per image (numbers as floats, the flag as text)."""
    entropy = prediction.entropy
    assert entropy is not None
    probability = prediction.probs.gather(1, prediction.predicted.unsqueeze(1)).squeeze(1)
    rows = []
    for index, path in enumerate(paths):
        label = int(prediction.predicted[index])
        row: list[Any] = [
            str(path),
            classes[label] if classes is not None else str(label),
            float(probability[index]),
            float(entropy.aleatoric[index]),
            float(entropy.epistemic[index]),
        ]
        if threshold is None:
            row += ["", "", "", ""]
        else:
            value = float(prediction.scores[threshold.score][index])
            uncertain = str(value > threshold.value).lower()
            row += [uncertain, threshold.score, value, threshold.value]
        rows.append(row)
    return rows


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _summary(
    rows: Sequence[Sequence[Any]],
    skipped: Sequence[Path],
    missing: Sequence[str],
    threshold: Threshold | None,
) -> str:
    """One line: how many images were predicted, skipped (naming a few) and flagged."""
    parts = [f"{_plural(len(rows), 'image')} predicted"]
    if skipped:
        named = ", ".join(str(path) for path in skipped[:_NAMED_SKIPPED])
        more = (
            f" and {len(skipped) - _NAMED_SKIPPED:,} more" if len(skipped) > _NAMED_SKIPPED else ""
        )
        parts.append(f"{len(skipped):,} skipped (unreadable): {named}{more}")
    if missing:
        parts.append(f"{_plural(len(missing), 'path')} without images (named above)")
    line = ", ".join(parts)
    if threshold is not None:
        flagged = sum(row[CSV_HEADER.index("uncertain")] == "true" for row in rows)
        line += (
            f"; {flagged} uncertain: {threshold.score} above {threshold.value:.4g} (the "
            f"{100 * threshold.quantile:g}th percentile of the validation split)"
        )
    return line


def _check_out(out: str, overwrite: bool) -> Path:
    """``--out``, checked before any work: writable, and new unless ``--overwrite``."""
    from bayescnn.io import check_writable_file

    path = check_writable_file(out, what="--out", example="predictions.csv")
    if path.exists() and not overwrite:
        raise OutputExistsError(
            f"--out {path} already exists; pass --overwrite to replace it, or choose another file"
        )
    return path


def _write_csv(out: Path, rows: Sequence[Sequence[Any]]) -> None:
    """The table as CSV, written atomically (a reader never sees half a file)."""
    from bayescnn.io import atomic_path

    with atomic_path(out) as tmp, tmp.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_HEADER)
        writer.writerows(_formatted(rows, 6))


def _formatted(rows: Sequence[Sequence[Any]], digits: int) -> list[list[str]]:
    return [[f"{v:.{digits}g}" if isinstance(v, float) else v for v in row] for row in rows]


def _print_table(rows: Sequence[Sequence[Any]]) -> None:
    from bayescnn.reports.tables import text_table

    print(text_table(CSV_HEADER, _formatted(rows, 4), align="<", rule=False))


def cmd_predict(args: argparse.Namespace) -> int:
    """Predict the images; exit 0 when at least one was read (with ``--strict``, every
    one), else raise (exit 2)."""
    from bayescnn.runs import open_run
    from bayescnn.runs.threshold import check_flag_rate, load_threshold
    from bayescnn.runtime.device import resolve_device
    from bayescnn.runtime.progress import with_progress
    from bayescnn.seeding import Stream, seeded
    from bayescnn.uncertainty import predict_loader

    OOD_SCORES.get(args.flag_score or defaults.FLAG_SCORE)  # an unknown name fails first
    check_flag_rate(args.flag_rate)
    if args.samples is not None and args.samples < 1:
        raise InvalidArgumentError(f"--samples must be >= 1, got {args.samples}")
    # before any work, so that a bad path loses no prediction
    out = _check_out(args.out, args.overwrite) if args.out else None
    files, notes = find_images(args.paths)
    if notes and args.strict:
        raise MissingFileError(f"{'; '.join(notes)}; --strict needs an image from every path")
    device = resolve_device(args.device)
    run = open_run(args.run, device=device)
    config = run.config
    for note in notes:
        _note(note)
    paths, images, skipped = _read_images(
        files, run.spec.in_channels, config.image_size, strict=args.strict
    )
    if images is None:
        unreadable = f" ({len(files)} unreadable, named above)" if files else ""
        raise InvalidArgumentError(
            f"no image could be read from {' '.join(map(str, args.paths))}{unreadable}"
        )
    threshold = load_threshold(
        run, score=args.flag_score, rate=args.flag_rate, data_dir=args.data_dir, note=_note
    )
    samples = args.samples or config.test_samples
    if threshold is not None and samples != threshold.samples:
        _note(
            f"the threshold was estimated with {threshold.samples} samples, these predictions "
            f"use {samples}: the flag is most reliable with --samples {threshold.samples}"
        )
    with seeded(config.seed, device, stream=Stream.TEST):  # the same answer every time
        prediction = predict_loader(
            run.model,
            with_progress(_batches(images, run.spec.mean, run.spec.std, device), "predict"),
            samples=samples,
            decomposition="entropy",
            scores=() if threshold is None else (threshold.score,),
        )
    rows = _rows(paths, prediction, _class_names(run), threshold)
    _print_table(rows)
    print(_summary(rows, skipped, notes, threshold))
    if out is not None:
        _write_csv(out, rows)
        print(f"wrote {out}")
    return 0
