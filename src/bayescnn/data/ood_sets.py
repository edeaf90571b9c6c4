"""Out-of-distribution (OOD) image sets matched to an in-distribution set's shape.

Every set is an :class:`~bayescnn.data.ImageData` with the channels and size of the
in-distribution images, so the same model and normalisation apply. Sets that need no
download:

* ``'digits'``: the 1797 real 8x8 handwritten digits bundled with scikit-learn (Alpaydin
  & Kaynak, 1998, UCI "Optical Recognition of Handwritten Digits"), intensities 0..16
  rescaled to 0..255 and upsampled (antialiased bilinear);
* ``'noise'``: images of independent uniform pixels in 0..255 (seeded);
* ``'gaussian-noise'``: images of independent Gaussian pixels with the mean and standard
  deviation of the in-distribution pixels, rounded and clipped to 0..255 (seeded): noise
  with the images' first two moments;
* ``'inverted'`` / ``'vflip'``: the in-distribution images with intensities inverted
  (``255 - x``) or flipped upside down;

and, from files already on disk, a named dataset's test split (``'fashion-mnist'``, also
transformed as ``'inverted:<dataset>'``/``'vflip:<dataset>'``) or a folder of images
(``'folder:<path>'`` or a path): a flat folder of image files (an OOD set needs no
labels), or one subfolder per class, e.g. notMNIST.

Each in-distribution dataset has a default OOD set (:data:`DEFAULT_OOD_SETS`,
:func:`default_ood_set`), a genuinely different kind of image that needs no download
beyond the usual pairs of the literature.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from bayescnn.data.dataset import ImageData
from bayescnn.data.folder import IMAGE_EXTENSIONS, find_class_folders, load_image_folder
from bayescnn.data.registry import DATASETS, load_dataset
from bayescnn.data.transforms import convert_image_data
from bayescnn.errors import InvalidArgumentError, MissingFileError, UnknownNameError
from bayescnn.seeding import seeded_generator

__all__ = ["DEFAULT_OOD_SETS", "OOD_SET_NAMES", "default_ood_set", "load_ood_set"]

_FOLDER_PREFIX = "folder:"

_TRANSFORMS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "inverted": lambda images: 255 - images,
    "vflip": lambda images: images.flip(-2),
}

OOD_SET_NAMES = ("digits", "noise", "gaussian-noise", *_TRANSFORMS)
"""The OOD sets built without any files."""


DEFAULT_OOD_SETS = {
    "mnist": "fashion-mnist",
    "fashion-mnist": "digits",
    "cifar10": "svhn",
    "cifar100": "svhn",
    "svhn": "cifar10",
}
"""Each built-in dataset's default OOD set, a different kind of image: clothing for
handwritten digits (scikit-learn's digits are handwritten digits too, nearly in
distribution for MNIST), handwritten digits for clothing (bundled with scikit-learn, so
always at hand), house numbers for CIFAR's objects and objects for house numbers (the
usual pairs of the OOD literature)."""

FALLBACK_OOD_SET = "noise"
"""The default OOD set of any other dataset (an image folder, a registered dataset):
uniform noise, out of distribution for every set of real images and built from nothing."""


def default_ood_set(dataset: str) -> str:
    """The default OOD set of an in-distribution dataset (:data:`DEFAULT_OOD_SETS`, else
    :data:`FALLBACK_OOD_SET`)."""
    return DEFAULT_OOD_SETS.get(dataset, FALLBACK_OOD_SET)


def _choices() -> str:
    datasets = ", ".join(sorted(DATASETS))
    transforms = ", ".join(f"'{name}:<dataset>'" for name in _TRANSFORMS)
    return (
        f"choose one of {', '.join(repr(n) for n in OOD_SET_NAMES)}, {transforms}, a dataset "
        f"name ({datasets}), '{_FOLDER_PREFIX}<path>' or a folder of images (flat or class "
        "subfolders)"
    )


def _match(
    images: torch.Tensor, labels: torch.Tensor, classes: tuple[str, ...], like: ImageData
) -> ImageData:
    """Convert images to ``like``'s channels and size."""
    channels, height, width = like.image_shape
    data = ImageData(images=images, labels=labels, classes=classes)
    return convert_image_data(data, image_size=(height, width), channels=channels)


def _digits(like: ImageData) -> ImageData:
    """scikit-learn's bundled 8x8 digits, 0..16 -> 0..255, resized to ``like``'s shape."""
    from sklearn.datasets import load_digits  # scikit-learn is slow to import: only here

    bunch = load_digits()
    pixels = np.rint(bunch.images * (255.0 / 16.0)).clip(0, 255).astype(np.uint8)
    images = torch.from_numpy(pixels).unsqueeze(1)
    labels = torch.from_numpy(bunch.target.astype(np.int64))
    return _match(images, labels, tuple(str(name) for name in bunch.target_names), like)


def _noise(like: ImageData, count: int, seed: int) -> ImageData:
    """``count`` images of i.i.d. uniform pixels in 0..255, drawn from ``seed``."""
    generator = seeded_generator(seed)
    images = torch.randint(0, 256, (count, *like.image_shape), generator=generator)
    return ImageData(
        images=images.to(torch.uint8),
        labels=torch.zeros(count, dtype=torch.int64),
        classes=("noise",),
    )


def _gaussian_noise(like: ImageData, count: int, seed: int) -> ImageData:
    """``count`` images of i.i.d. ``N(mu, sigma^2)`` pixels, ``mu``/``sigma`` those of ``like``."""
    if len(like) == 0:
        raise InvalidArgumentError(
            "cannot build the 'gaussian-noise' OOD set: it takes the mean and standard "
            "deviation of the in-distribution pixels, and there are none"
        )
    pixels = like.images.double()
    generator = seeded_generator(seed)
    noise = torch.randn((count, *like.image_shape), generator=generator, dtype=torch.float64)
    images = (noise * pixels.std() + pixels.mean()).round_().clamp_(0, 255)
    return ImageData(
        images=images.to(torch.uint8),
        labels=torch.zeros(count, dtype=torch.int64),
        classes=("noise",),
    )


def _transformed(data: ImageData, transform: str) -> ImageData:
    if len(data) == 0:
        raise InvalidArgumentError(
            f"cannot build the {transform!r} OOD set from an empty set of images"
        )
    images = _TRANSFORMS[transform](data.images).contiguous()
    return ImageData(images=images, labels=data.labels, classes=data.classes)


def _dataset_test_split(name: str, like: ImageData, data_dir: str | Path | None) -> ImageData:
    channels, height, width = like.image_shape
    _, test = load_dataset(name, data_dir, image_size=(height, width), channels=channels)
    return test


def _folder(root: Path, like: ImageData) -> ImageData:
    """The images of ``root``'s class subfolders, else those directly in ``root`` (one class
    named after the folder), at ``like``'s channels and size."""
    channels, height, width = like.image_shape
    try:
        if find_class_folders(root):
            return load_image_folder(root, channels=channels, image_size=(height, width))
        if not any(path.suffix.lower() in IMAGE_EXTENSIONS for path in root.iterdir()):
            raise InvalidArgumentError(
                f"no images in {root}: expected {root}/<image>.png (a flat folder) or "
                f"{root}/<class>/<image>.png (class folders), extensions {IMAGE_EXTENSIONS}"
            )
        # the flat folder as the one class folder of its parent
        root = root.resolve()
        return load_image_folder(
            root.parent, channels=channels, image_size=(height, width), classes=(root.name,)
        )
    except FileNotFoundError as error:
        raise MissingFileError(f"OOD set: {error}; {_choices()}") from None
    except ValueError as error:
        raise InvalidArgumentError(f"OOD set: {error}; {_choices()}") from None


def _limit(data: ImageData, limit: int | None, seed: int) -> ImageData:
    """A seeded random subset of ``limit`` examples (in their original order)."""
    if limit is None or limit >= len(data):
        return data
    generator = seeded_generator(seed)
    keep = torch.randperm(len(data), generator=generator)[:limit].sort().values
    return data.subset(keep)


def load_ood_set(
    name: str | Path,
    *,
    like: ImageData,
    data_dir: str | Path | None = None,
    seed: int = 0,
    limit: int | None = None,
) -> ImageData:
    """Load or build an OOD set with the channels and image size of ``like``.

    Args:
        name: ``'digits'``, ``'noise'``, ``'gaussian-noise'``, ``'inverted'``, ``'vflip'``
            (transforms of ``like``), ``'inverted:<dataset>'``, ``'vflip:<dataset>'``, a dataset name of
            :data:`bayescnn.data.DATASETS` (its test split), ``'folder:<path>'`` or the path
            of a folder of images (flat, or one subfolder per class).
        like: In-distribution images (e.g. the test split) giving channels and size.
        data_dir: Folder searched first for named datasets' files.
        seed: Seed of the noise and of the subset chosen by ``limit``.
        limit: Keep at most this many examples (a seeded random subset, kept in order);
            for the noise sets the number of images (default ``len(like)``).

    Returns:
        The OOD images with their own labels and classes (``('noise',)`` for noise).

    Raises:
        UnknownNameError: If the name is unknown.
        InvalidArgumentError: If ``limit < 1`` or a folder holds no images.
        MissingFileError: If a folder does not exist.
        bayescnn.data.DataNotFoundError: If a named dataset's files are not on disk.
    """
    if limit is not None and limit < 1:
        raise InvalidArgumentError(f"limit must be >= 1 or None, got {limit}")
    text = str(name)
    prefix, _, rest = text.partition(":")
    if text == "digits":
        data = _digits(like)
    elif text == "noise":
        return _noise(like, limit if limit is not None else max(len(like), 1), seed)
    elif text == "gaussian-noise":
        return _gaussian_noise(like, limit if limit is not None else len(like), seed)
    elif text in _TRANSFORMS:
        data = _transformed(like, text)
    elif prefix in _TRANSFORMS and rest:
        data = _transformed(_dataset_test_split(rest, like, data_dir), prefix)
    elif text in DATASETS:
        data = _dataset_test_split(text, like, data_dir)
    elif text.startswith(_FOLDER_PREFIX):
        data = _folder(Path(text.removeprefix(_FOLDER_PREFIX)), like)
    elif isinstance(name, Path) or Path(text).is_dir() or "/" in text or "\\" in text:
        data = _folder(Path(text), like)
    else:
        raise UnknownNameError(f"unknown OOD set {text!r}; {_choices()}")
    return _limit(data, limit, seed)
