"""Specification of the numpy-only unpickler."""

import io
import pickle

import numpy as np
import pytest

from bayescnn.data import UnsafePickleError
from bayescnn.data.safe_pickle import safe_load


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_dicts_of_numpy_arrays_and_bytes_load(protocol):
    content = {b"data": np.arange(12, dtype=np.uint8).reshape(3, 4), b"names": [b"a", b"b"]}
    loaded = safe_load(io.BytesIO(pickle.dumps(content, protocol=protocol)))
    assert np.array_equal(loaded[b"data"], content[b"data"])
    assert loaded[b"names"] == [b"a", b"b"]


@pytest.mark.parametrize("callable_", [eval, exec, print, pickle.loads], ids=lambda f: f.__name__)
def test_any_other_global_is_refused(callable_):
    class CallsGlobal:
        def __reduce__(self):
            return (callable_, ("1",))

    with pytest.raises(UnsafePickleError, match="only numpy arrays"):
        safe_load(io.BytesIO(pickle.dumps(CallsGlobal())))
