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
from bayescnn.data.folder import IMAGE_EXTENSIONS, describe_image_folder
from bayescnn.data.image_files import find_images, read_image
from bayescnn.errors import InvalidArgumentError
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


def add_predict_command(subparsers: Any) -> argparse.ArgumentParser:
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
        "Unreadable files are named on stderr and skipped.",
    )
    parser.add_argument("run", metavar="RUN", help="run folder or .safetensors file")
    parser.add_argument("paths", metavar="PATH", nargs="+", help="image files or folders")
    parser.add_argument(
        "--samples",
        type=int,
        help=f"Monte-Carlo samples (default: the run's test_samples, {defaults.SAMPLES} unless "
        "changed)",
    )
    parser.add_argument(
        "--out",
        metavar="FILE.csv",
        help="also write the table as CSV (a header, one row per image)",
    )
    parser.add_argument(
        "--flag-score",
        metavar="SCORE",
        help="the OOD score that flags an image uncertain: any registered score "
        f"({', '.join(list_ood_scores())}) (default: {defaults.FLAG_SCORE}, the best "
        "detector of OOD sets and noise at a fixed false-alarm rate in the README)",
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
    files: Sequence[Path], channels: int, image_size: int
) -> tuple[list[Path], torch.Tensor | None]:
    """The readable files and their images; each unreadable file is named on stderr."""
    readable: list[Path] = []
    images: list[torch.Tensor] = []
    for path in files:
        try:
            images.append(read_image(path, channels, image_size))
        except MemoryError:
            raise  # running out of memory is not a damaged file
        except Exception as error:  # PIL raises many types for damaged files
            _note(f"skipped {path}: cannot read it as an image ({error})")
            continue
        readable.append(path)
    return readable, torch.cat(images) if images else None


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


def _formatted(rows: Sequence[Sequence[Any]], digits: int) -> list[list[str]]:
    return [[f"{v:.{digits}g}" if isinstance(v, float) else v for v in row] for row in rows]


def _print_table(rows: Sequence[Sequence[Any]]) -> None:
    from bayescnn.reports.tables import text_table

    print(text_table(CSV_HEADER, _formatted(rows, 4), align="<", rule=False))


def cmd_predict(args: argparse.Namespace) -> int:
    """Predict the images; exit 0 when at least one was read, else raise (exit 2)."""
    from bayescnn.io import check_writable_file
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
    if args.out:  # before any work, so that a bad path loses no prediction
        check_writable_file(args.out, what="--out", example="predictions.csv")
    device = resolve_device(args.device)
    run = open_run(args.run, device=device)
    config = run.config
    files, notes = find_images(args.paths)
    for note in notes:
        _note(note)
    paths, images = _read_images(files, run.spec.in_channels, config.image_size)
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
    if threshold is not None:
        flagged = sum(row[CSV_HEADER.index("uncertain")] == "true" for row in rows)
        print(
            f"{len(rows)} image(s), {flagged} uncertain: {threshold.score} above "
            f"{threshold.value:.4g} (the {100 * threshold.quantile:g}th percentile of the "
            "validation split)"
        )
    if args.out:
        out = Path(args.out)
        with out.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(CSV_HEADER)
            writer.writerows(_formatted(rows, 6))
        print(f"wrote {out}")
    return 0
