"""Loading pickles that may only rebuild numpy arrays, so a crafted file cannot run code."""

from __future__ import annotations

import _codecs
import pickle
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from bayescnn.errors import BayesCNNError

try:
    from numpy._core import multiarray as _multiarray
    from numpy._core import numeric as _numeric
except ImportError:  # numpy < 1.26
    from numpy.core import multiarray as _multiarray  # type: ignore[no-redef]
    from numpy.core import numeric as _numeric  # type: ignore[no-redef]

_ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    # Bytes pickled by Python 3 at protocol 2 are rebuilt through _codecs.encode.
    ("_codecs", "encode"): _codecs.encode,
}
_frombuffer = _numeric._frombuffer  # type: ignore[attr-defined]  # private: not in numpy's stubs
for _module in ("numpy.core", "numpy._core"):
    _ALLOWED_GLOBALS[(f"{_module}.multiarray", "_reconstruct")] = _multiarray._reconstruct
    _ALLOWED_GLOBALS[(f"{_module}.multiarray", "scalar")] = _multiarray.scalar
    _ALLOWED_GLOBALS[(f"{_module}.numeric", "_frombuffer")] = _frombuffer


class UnsafePickleError(BayesCNNError, pickle.UnpicklingError):
    """A pickle referred to a global outside the numpy-array allowlist."""


class _NumpyOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise UnsafePickleError(
                f"refusing to load global {module}.{name}: only numpy arrays are allowed"
            ) from None


def safe_load(stream: BinaryIO) -> Any:
    """Unpickles ``stream`` with ``encoding='bytes'``, allowing only numpy-array globals.

    Raises:
        UnsafePickleError: If the pickle refers to any other global (functions, classes).
    """
    return _NumpyOnlyUnpickler(stream, encoding="bytes").load()


def safe_load_file(path: str | Path) -> Any:
    """Unpickles the file at ``path`` through :func:`safe_load`."""
    with open(path, "rb") as stream:
        return safe_load(stream)
