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

__all__ = [
    "BayesCNNError",
    "ConfigError",
    "InvalidArgumentError",
    "InvalidTypeError",
    "MissingFileError",
    "ModelInputError",
    "RunExistsError",
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
    """A training configuration or config file is invalid."""


class MissingFileError(BayesCNNError, FileNotFoundError):
    """A file or folder the user named does not exist."""


class RunExistsError(BayesCNNError, FileExistsError):
    """A new run would overwrite a run folder that already holds one."""


class ModelInputError(InvalidArgumentError):
    """Inputs do not fit the model (their shape, dtype or values)."""


_SHAPE_MESSAGES = (
    "shapes cannot be multiplied",
    "size mismatch",
    "to have",  # "expected input[1, 3, 28, 28] to have 1 channels"
    "kernel size can't be greater",
    "output size is too small",
    "must match the size",
    "input type",
    "expected input",
    "expected 3d",
    "expected 4d",
    "expected 2d",
    "invalid shape",
    "is invalid for input of size",
)


def is_input_shape_error(error: BaseException) -> bool:
    """Whether ``error`` is PyTorch reporting inputs of the wrong shape for a layer.

    Out-of-memory errors, device failures and every other RuntimeError are not: they
    must reach the user as they are.
    """
    if not isinstance(error, RuntimeError) or isinstance(error, MemoryError):
        return False
    import torch

    if isinstance(error, torch.OutOfMemoryError):
        return False
    message = str(error).lower()
    return any(pattern in message for pattern in _SHAPE_MESSAGES)
