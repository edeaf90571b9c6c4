"""The experiments' data layer: readers for on-disk formats, a dataset registry, loaders.

Datasets load whole into uint8 tensors (:class:`ImageData`) and are batched on the
training device by :class:`InMemoryLoader`.
"""

from bayescnn.data.dataset import ImageData
from bayescnn.data.errors import CorruptDataError, DataNotFoundError
from bayescnn.data.folder import load_image_folder
from bayescnn.data.loader import InMemoryLoader, PixelNormalization, evaluation_loader
from bayescnn.data.ood_sets import (
    DEFAULT_OOD_SETS,
    OOD_SET_NAMES,
    default_ood_set,
    load_ood_set,
)
from bayescnn.data.registry import DATASETS, get_spec, load_dataset, register_dataset
from bayescnn.data.safe_pickle import UnsafePickleError
from bayescnn.data.spec import DatasetSpec
from bayescnn.data.split import train_valid_split
from bayescnn.data.transforms import convert_image_data

__all__ = [
    "DATASETS",
    "DEFAULT_OOD_SETS",
    "OOD_SET_NAMES",
    "CorruptDataError",
    "DataNotFoundError",
    "DatasetSpec",
    "ImageData",
    "InMemoryLoader",
    "PixelNormalization",
    "UnsafePickleError",
    "convert_image_data",
    "default_ood_set",
    "evaluation_loader",
    "get_spec",
    "load_dataset",
    "load_image_folder",
    "load_ood_set",
    "register_dataset",
    "train_valid_split",
]
