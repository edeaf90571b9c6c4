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
