"""A user's own image files, read the way a run's training images were."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from bayescnn.data.folder import IMAGE_EXTENSIONS
from bayescnn.data.transforms import resize_images

__all__ = ["find_images", "read_image"]


def find_images(paths: Sequence[str | Path]) -> tuple[list[Path], list[str]]:
    """The image files named by ``paths``, and a note for each path that yields none.

    A file is taken whatever its name; a folder is searched recursively for
    :data:`bayescnn.data.folder.IMAGE_EXTENSIONS` (case-insensitive), skipping hidden
    files and folders, in sorted order. Each file is listed once.
    """
    found: dict[Path, None] = {}
    notes: list[str] = []
    for path in map(Path, paths):
        if path.is_file():
            found[path] = None
        elif path.is_dir():
            images = sorted(
                file
                for file in path.rglob("*")
                if file.suffix.lower() in IMAGE_EXTENSIONS
                and not any(part.startswith(".") for part in file.relative_to(path).parts)
                and file.is_file()
            )
            if not images:
                notes.append(f"no images in {path} (looked for {', '.join(IMAGE_EXTENSIONS)})")
            found.update(dict.fromkeys(images))
        else:
            notes.append(f"no such file or folder: {path}")
    return list(found), notes


def read_image(path: Path, channels: int, image_size: int) -> torch.Tensor:
    """One image as the run's training images: ``1 x C x H x W`` uint8.

    Converted by PIL to gray (``channels=1``) or RGB (3), then resized to ``image_size``
    by antialiased bilinear interpolation (:func:`bayescnn.data.transforms.resize_images`).

    Raises:
        Exception: Whatever PIL raises for a file it cannot decode.
    """
    with Image.open(path) as image:
        image.load()
        pixels = np.array(image.convert("L" if channels == 1 else "RGB"))
    array = pixels.reshape(*pixels.shape[:2], -1).transpose(2, 0, 1)
    return resize_images(torch.from_numpy(np.ascontiguousarray(array)).unsqueeze(0), image_size)
