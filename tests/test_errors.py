"""Specification: every error bayescnn raises on purpose is a BayesCNNError.

Each is also the builtin type that fits (ValueError, TypeError, FileNotFoundError, ...),
so code catching the builtin keeps working. Running out of memory is never turned
into a bad-input error.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from bayescnn import errors, to_bayesian
from bayescnn import nn as bnn
from bayescnn.compat import BBBLeNet
from bayescnn.data import (
    CorruptDataError,
    DataNotFoundError,
    ImageData,
    InMemoryLoader,
    UnsafePickleError,
    get_spec,
    load_dataset,
    load_image_folder,
    search,
)
from bayescnn.data.cifar import load_cifar10
from bayescnn.data.idx import read_idx_images
from bayescnn.data.svhn import load_svhn
from bayescnn.io import (
    CheckpointError,
    CheckpointMismatchError,
    RunDirError,
    check_writable_dir,
    flatten_state,
    load_checkpoint,
    load_legacy_state_dict,
    load_model_state,
    read_checkpoint_metadata,
)
from bayescnn.priors import GaussianPrior, ScaleMixturePrior

ERROR_TYPES = [
    (errors.InvalidArgumentError, ValueError),
    (errors.InvalidTypeError, TypeError),
    (errors.UnknownNameError, ValueError),
    (errors.ConfigError, ValueError),
    (errors.MissingFileError, FileNotFoundError),
    (errors.OutputExistsError, FileExistsError),
    (errors.RunExistsError, errors.OutputExistsError),
    (errors.RunMismatchError, errors.RunExistsError),
    (errors.ModelInputError, ValueError),
    (DataNotFoundError, FileNotFoundError),
    (CorruptDataError, ValueError),
    (UnsafePickleError, pickle.UnpicklingError),
    (CheckpointError, ValueError),
    (CheckpointMismatchError, CheckpointError),
    (RunDirError, OSError),
]


@pytest.mark.parametrize(("error", "builtin"), ERROR_TYPES, ids=lambda t: t.__name__)
def test_each_error_is_a_bayescnn_error_and_its_builtin(
    error: type[Exception], builtin: type[Exception]
) -> None:
    assert issubclass(error, errors.BayesCNNError)
    assert issubclass(error, builtin)
    assert str(error("the message")) == "the message"


def _images(dtype: torch.dtype = torch.uint8) -> ImageData:
    return ImageData(
        images=torch.zeros(2, 1, 4, 4, dtype=dtype),
        labels=torch.zeros(2, dtype=torch.int64),
        classes=("a",),
    )


BAD_INPUTS: dict[str, tuple[Callable[[], Any], type[Exception]]] = {
    "prior-sigma-zero": (lambda: GaussianPrior(sigma=0.0), ValueError),
    "prior-sigma-not-a-number": (lambda: GaussianPrior(sigma="wide"), ValueError),
    "mixture-pi-above-one": (lambda: ScaleMixturePrior(pi=1.5), ValueError),
    "unknown-estimator": (lambda: bnn.Linear(4, 2, estimator="mcmc"), ValueError),
    "prior-of-wrong-type": (lambda: bnn.Linear(4, 2, prior="gaussian"), TypeError),
    "conv-groups": (lambda: bnn.Conv2d(3, 4, 3, groups=2), ValueError),
    "to-bayesian-a-single-layer": (lambda: to_bayesian(nn.Linear(2, 2)), TypeError),
    "unknown-dataset": (lambda: get_spec("imagenet-22k"), ValueError),
    "float-images": (lambda: _images(torch.float32), ValueError),
    "loader-batch-size": (
        lambda: InMemoryLoader(_images(), 0, shuffle=False, mean=(0.5,), std=(0.5,)),
        ValueError,
    ),
    "state-with-an-object": (lambda: flatten_state({"f": object()}), TypeError),
    "unknown-compat-layer-type": (lambda: BBBLeNet(10, 1, None, layer_type="mc"), ValueError),
    "state-for-another-model": (
        lambda: load_model_state(nn.Linear(2, 2), {"weight": torch.zeros(3, 3)}),
        ValueError,
    ),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_arguments_raise_a_bayescnn_error_of_the_builtin_type(case: str) -> None:
    call, builtin = BAD_INPUTS[case]
    with pytest.raises(errors.BayesCNNError) as raised:
        call()
    assert isinstance(raised.value, builtin)


def test_unknown_names_raise_unknown_name_error() -> None:
    with pytest.raises(errors.UnknownNameError, match="'bbb', 'lrt', 'flipout'"):
        bnn.Estimator.parse("mcmc")
    with pytest.raises(errors.UnknownNameError, match="imagenet-22k"):
        get_spec("imagenet-22k")


def test_missing_dataset_is_a_bayescnn_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(search, "SYSTEM_DATA_DIRS", ())
    with pytest.raises(errors.BayesCNNError) as raised:
        load_dataset("mnist", data_dir=tmp_path / "data")
    assert isinstance(raised.value, DataNotFoundError)
    assert isinstance(raised.value, FileNotFoundError)


@pytest.mark.parametrize("read", [load_checkpoint, read_checkpoint_metadata])
def test_a_pickle_given_as_checkpoint_is_a_bayescnn_error(
    tmp_path: Path, read: Callable[[Path], Any]
) -> None:
    path = tmp_path / "model.pt"
    torch.save({"weight": torch.ones(1)}, path)
    with pytest.raises(errors.BayesCNNError, match="pickle") as raised:
        read(path)
    assert isinstance(raised.value, CheckpointError)
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize(
    "read",
    [load_checkpoint, read_checkpoint_metadata, load_legacy_state_dict, load_image_folder],
)
def test_a_missing_path_is_a_missing_file_error(
    tmp_path: Path, read: Callable[[Path], Any]
) -> None:
    with pytest.raises(errors.MissingFileError) as raised:
        read(tmp_path / "absent")
    assert isinstance(raised.value, FileNotFoundError)
    assert "absent" in str(raised.value)


def test_damaged_and_unsafe_data_files_are_bayescnn_errors(tmp_path: Path) -> None:
    (tmp_path / "images").write_bytes(b"\x00\x00\x08\x03\x00")
    with pytest.raises(CorruptDataError) as raised:
        read_idx_images(tmp_path / "images")
    assert isinstance(raised.value, errors.BayesCNNError)
    assert isinstance(raised.value, ValueError)
    (tmp_path / "batches.meta").write_bytes(pickle.dumps({b"label_names": [os.getcwd]}))
    with pytest.raises(UnsafePickleError) as unsafe:
        load_cifar10(tmp_path, "test")
    assert isinstance(unsafe.value, errors.BayesCNNError)


def test_an_unusable_run_folder_is_a_bayescnn_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(RunDirError) as raised:
        check_writable_dir(tmp_path / "file")
    assert isinstance(raised.value, errors.BayesCNNError)
    assert isinstance(raised.value, OSError)


def _raise(error: BaseException) -> Callable[..., Any]:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise error

    return fail


def _legacy_out_of_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[], Any]:
    torch.save({"weight": torch.ones(1)}, tmp_path / "model.pt")
    monkeypatch.setattr(torch, "load", _raise(torch.OutOfMemoryError("CUDA out of memory")))
    return lambda: load_legacy_state_dict(tmp_path / "model.pt")


def _cifar_out_of_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[], Any]:
    (tmp_path / "batches.meta").write_bytes(b"")
    monkeypatch.setattr("bayescnn.data.cifar.safe_load_file", _raise(MemoryError()))
    return lambda: load_cifar10(tmp_path, "test")


def _svhn_out_of_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[], Any]:
    (tmp_path / "test_32x32.mat").write_bytes(b"")
    monkeypatch.setattr("scipy.io.loadmat", _raise(MemoryError()))
    return lambda: load_svhn(tmp_path, "test")


def _folder_out_of_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[], Any]:
    (tmp_path / "a").mkdir()
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / "a" / "0.png")
    monkeypatch.setattr("bayescnn.data.folder.Image.open", _raise(MemoryError()))
    return lambda: load_image_folder(tmp_path, skip_corrupt=True)


@pytest.mark.parametrize(
    ("arrange", "expected"),
    [
        (_legacy_out_of_memory, torch.OutOfMemoryError),
        (_cifar_out_of_memory, MemoryError),
        (_svhn_out_of_memory, MemoryError),
        (_folder_out_of_memory, MemoryError),
    ],
    ids=["legacy-state-dict", "cifar", "svhn", "image-folder"],
)
def test_running_out_of_memory_is_never_reported_as_bad_input(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    arrange: Callable[[Path, pytest.MonkeyPatch], Callable[[], Any]],
    expected: type[BaseException],
) -> None:
    call = arrange(tmp_path, monkeypatch)
    with pytest.raises(expected) as raised:
        call()
    assert not isinstance(raised.value, errors.BayesCNNError)
