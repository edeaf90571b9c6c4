"""The known datasets, their properties, and loading them by name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bayescnn.data import search
from bayescnn.data.builtin import BUILTIN_DATASETS
from bayescnn.data.dataset import ImageData
from bayescnn.data.errors import DataNotFoundError
from bayescnn.data.folder import (
    describe_image_folder,
    find_class_folders,
    has_train_test_layout,
    load_image_folder_splits,
)
from bayescnn.data.spec import DatasetSpec, Split
from bayescnn.data.transforms import convert_image_data
from bayescnn.errors import InvalidArgumentError, MissingFileError, UnknownNameError
from bayescnn.registry import Registry

FOLDER_PREFIX = "folder:"


DATASETS: Registry[DatasetSpec] = Registry("dataset")
for _spec in BUILTIN_DATASETS:
    DATASETS.add(_spec.name, _spec)
"""The named datasets, by name; :func:`register_dataset` adds one."""


def register_dataset(
    name: str,
    *,
    num_classes: int,
    in_channels: int,
    image_size: tuple[int, int],
    mean: tuple[float, ...],
    std: tuple[float, ...],
    train_crop: bool = False,
    train_flip: bool = False,
    replace: bool = False,
) -> Callable[
    [Callable[[Path | None, Split], ImageData]], Callable[[Path | None, Split], ImageData]
]:
    """Decorator: register ``load(data_dir, split) -> ImageData`` as dataset ``name``.

    ``load_dataset(name)``, ``bayescnn train --dataset name`` and the OOD sets then use
    it; ``data_dir`` is the ``--data-dir`` given (or None), ``split`` 'train' or 'test'.

    Example:
        >>> @bayescnn.data.register_dataset("blobs", num_classes=2, in_channels=1,
        ...                                 image_size=(8, 8), mean=(0.5,), std=(0.25,))
        ... def blobs(data_dir, split):
        ...     return ImageData(images_uint8, labels, classes=("a", "b"))
    """

    def decorate(
        load: Callable[[Path | None, Split], ImageData],
    ) -> Callable[[Path | None, Split], ImageData]:
        spec = DatasetSpec(
            name=name.strip().lower(),
            num_classes=num_classes,
            in_channels=in_channels,
            image_size=tuple(image_size),  # type: ignore[arg-type]
            mean=tuple(mean),
            std=tuple(std),
            train_crop=train_crop,
            train_flip=train_flip,
            load=load,
        )
        DATASETS.add(name, spec, replace=replace)
        return load

    return decorate


def get_spec(name: str | Path) -> DatasetSpec:
    """Returns the spec of a named dataset, of ``"folder:<path>"``, or of an existing folder.

    A folder's spec describes its first image (channels, size) and its class subfolders;
    its normalisation is the neutral mean 0.5, std 0.5 per channel.

    Raises:
        MissingFileError: If ``"folder:<path>"`` or a path-like name is not a folder.
        InvalidArgumentError: If a folder has fewer than two class folders.
        UnknownNameError: If ``name`` is neither a known name nor a path.
    """
    text = str(name)
    if text in DATASETS:
        return DATASETS.get(text)
    if text.startswith(FOLDER_PREFIX) or isinstance(name, Path) or _looks_like_path(text):
        return _folder_spec(Path(text.removeprefix(FOLDER_PREFIX)))
    raise UnknownNameError(
        f"{DATASETS.unknown_message(text)}, '{FOLDER_PREFIX}<path>' or an existing folder of "
        "class subfolders"
    )


def _looks_like_path(text: str) -> bool:
    """Whether a dataset name can only mean a folder (it exists, or has a path's shape)."""
    return (
        Path(text).is_dir()
        or any(mark in text for mark in ("/", "\\"))
        or text.startswith((".", "~"))
    )


def _folder_spec(root: Path) -> DatasetSpec:
    """The spec of an image folder (``root/<class>`` or ``root/train|test/<class>``)."""
    if not root.is_dir():
        raise MissingFileError(
            f"folder not found: {root} (a dataset is {', '.join(DATASETS.names())}, "
            f"'{FOLDER_PREFIX}<path>' or a folder of class subfolders)"
        )
    if find_class_folders(root) in (("train",), ("test",)):  # half of a split layout
        raise InvalidArgumentError(_one_class_message(root, find_class_folders(root)[0]))
    classes, channels, image_size = describe_image_folder(root)
    if len(classes) < 2:
        raise InvalidArgumentError(_one_class_message(root, classes[0]))
    return DatasetSpec(
        name=f"{FOLDER_PREFIX}{root}",
        num_classes=len(classes),
        in_channels=channels,
        image_size=image_size,
        mean=(0.5,) * channels,
        std=(0.5,) * channels,
        folder=root,
    )


def _one_class_message(root: Path, name: str) -> str:
    """Why a folder of one class cannot train a classifier, and how to lay it out."""
    if has_train_test_layout(root):
        return (
            f"{root}/train has one class folder ({name}); a classifier needs two or more: "
            f"put each class's images in its own subfolder, {root}/train/<class>/<image>.png"
        )
    if name in ("train", "test"):
        return (
            f"{root} has a {name}/ folder only; give it both {root}/train/<class>/ and "
            f"{root}/test/<class>/, or use {root}/<class>/<image>.png (a seeded test split "
            "is then held out)"
        )
    return (
        f"{root} has one class folder ({name}); a classifier needs two or more: put each "
        f"class's images in its own subfolder, {root}/<class>/<image>.png"
    )


def load_dataset(
    name: str | Path,
    data_dir: str | Path | None = None,
    *,
    download: bool = False,
    image_size: int | tuple[int, int] | None = None,
    channels: int | None = None,
    skip_corrupt: bool = False,
    test_size: float = 0.2,
    seed: int = 0,
) -> tuple[ImageData, ImageData]:
    """Loads the ``(train, test)`` splits of a dataset, converted once to the wanted shape.

    Files are looked for in ``data_dir`` (if given), then ``./data``, then
    :data:`bayescnn.data.search.SYSTEM_DATA_DIRS`, each with the dataset's usual
    subfolders; only if none holds them and ``download`` is true, torchvision downloads
    them into ``data_dir`` (or ``./data``).

    Args:
        name: A name in :data:`DATASETS`, ``"folder:<path>"``, or a folder path.
        data_dir: Folder searched first and downloaded into.
        download: Download with torchvision when the files are not found.
        image_size: Resize all images to ``H`` or ``(H, W)`` (antialiased bilinear).
        channels: Convert all images to 1 (gray) or 3 (RGB) channels.
        skip_corrupt: For image folders, skip unreadable images with a warning.
        test_size: For a folder without ``train``/``test`` subfolders, the fraction of
            its images held out as the test split.
        seed: Seed of that split (the same seed always gives the same split).

    Raises:
        ValueError: If the name is unknown.
        DataNotFoundError: If the files are found nowhere and not downloaded.
    """
    spec = get_spec(name)
    if spec.folder is not None:
        return load_image_folder_splits(
            spec.folder,
            channels=channels,
            image_size=image_size,
            skip_corrupt=skip_corrupt,
            test_size=test_size,
            seed=seed,
        )
    if spec.load is not None:
        root = Path(data_dir) if data_dir is not None else None
        return tuple(  # type: ignore[return-value]
            convert_image_data(spec.load(root, split), image_size=image_size, channels=channels)
            for split in ("train", "test")
        )
    assert spec.reader is not None
    folder = _find(spec, data_dir)
    if folder is None and download and spec.download is not None:
        spec.download(Path(data_dir) if data_dir is not None else search.LOCAL_DATA_DIR)
        folder = _find(spec, data_dir)
    if folder is None:
        raise DataNotFoundError(_not_found_message(spec, data_dir))
    train, test = (
        convert_image_data(spec.reader(folder, split), image_size=image_size, channels=channels)
        for split in ("train", "test")
    )
    return train, test


def _find(spec: DatasetSpec, data_dir: str | Path | None) -> Path | None:
    return search.find_data_folder(data_dir, spec.search_subdirs, spec.required_files)


def _not_found_message(spec: DatasetSpec, data_dir: str | Path | None) -> str:
    roots = ", ".join(str(root) for root in search.search_roots(data_dir))
    target = data_dir if data_dir is not None else "./data"
    hint = spec.source_hint.replace("<data_dir>", str(target))
    return (
        f"{spec.name} not found in {roots} (or their subfolders "
        f"{', '.join(spec.search_subdirs)}); {hint}; or pass download=True (--download) "
        f"to fetch it with torchvision into {target}"
    )
