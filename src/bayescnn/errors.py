"""The one root of every exception bayescnn raises on purpose.

Each error also derives from the builtin type that fits, so code that catches
``ValueError`` or ``FileNotFoundError`` keeps working::

    try:
        bayescnn.models.create("lenet5")
    except bayescnn.BayesCNNError as error:   # also a ValueError
        print(error)                          # names the choices

Anything else that escapes the library (an out-of-memory error, a CUDA failure, a bug
in a user's model) is not bad input and is never turned into one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "BayesCNNError",
    "ConfigError",
    "CorruptFileError",
    "InvalidArgumentError",
    "InvalidTypeError",
    "MissingExtraError",
    "MissingFileError",
    "ModelInputError",
    "OutputExistsError",
    "RunExistsError",
    "RunMismatchError",
    "UnknownNameError",
    "is_input_shape_error",
]


class BayesCNNError(Exception):
    """Root of bayescnn's exceptions: bad input or a state the user can fix."""


class InvalidArgumentError(BayesCNNError, ValueError):
    """An argument's value is out of range or inconsistent with another."""


class InvalidTypeError(BayesCNNError, TypeError):
    """An argument has the wrong type."""


class UnknownNameError(InvalidArgumentError):
    """A name (model, dataset, prior, score, ...) is not in its registry."""


class ConfigError(InvalidArgumentError):
    """A training configuration or config file is invalid.

    Attributes:
        key: the config key at fault, when there is one (the command line names its flag).
    """

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


class MissingFileError(BayesCNNError, FileNotFoundError):
    """A file or folder the user named does not exist."""


class CorruptFileError(BayesCNNError, ValueError):
    """A file the library wrote cannot be read back (truncated or edited by hand)."""


class OutputExistsError(BayesCNNError, FileExistsError):
    """An output would replace a file or folder that exists, and overwriting was not asked."""


class RunExistsError(OutputExistsError):
    """A new run would overwrite a run folder that already holds one."""


class RunMismatchError(RunExistsError):
    """A run folder holds a run of another config than the one asked to continue it there.

    Attributes:
        differences: each config key that differs, with the run's value and the asked one.
    """

    def __init__(
        self, message: str, differences: Mapping[str, tuple[Any, Any]] | None = None
    ) -> None:
        super().__init__(message)
        self.differences = dict(differences or {})


class ModelInputError(InvalidArgumentError):
    """Inputs do not fit the model (their shape, dtype or values)."""


class MissingExtraError(BayesCNNError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


_SHAPE_MISMATCH = re.compile(
    "|".join(
        (
            r"mat1 and mat2 shapes cannot be multiplied",  # F.linear: wrong in_features
            r"size mismatch",  # F.linear before PyTorch 1.6
            r"expected input\[[^\]]*\] to have \d+ channels",  # F.convNd: wrong channels
            r"Kernel size can't be greater than actual input size",  # F.convNd: too small
            r"Output size is too small",  # pooling: too small
            r"Expected \d+D \(unbatched\) or \d+D \(batched\) input",  # F.convNd: wrong ndim
            r"shape '\[[-\d, ]*\]' is invalid for input of size",  # view/reshape of features
            r"running_mean should contain \d+ elements",  # BatchNorm: wrong channels
            r"expected input with shape \[",  # LayerNorm: wrong trailing size
        )
    )
)
"""What PyTorch's layers say when an input's shape does not fit their weights."""


def is_input_shape_error(error: BaseException) -> bool:
    """Whether ``error`` is PyTorch reporting inputs of the wrong shape for a layer.

    Out-of-memory errors, device failures and every other RuntimeError are not: they
    must reach the user as they are.
    """
    import torch

    if not isinstance(error, RuntimeError) or isinstance(error, torch.cuda.OutOfMemoryError):
        return False
    return _SHAPE_MISMATCH.search(str(error)) is not None
