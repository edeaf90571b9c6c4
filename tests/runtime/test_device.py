"""One device resolver for the command line, the runs and the benchmarks."""

import pytest
import torch

import bayescnn.cli
import bayescnn.runtime
import bayescnn.train
from bayescnn.errors import BayesCNNError
from bayescnn.runtime import resolve_device
from bayescnn.train import distributed


def test_auto_is_the_cpu_without_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")


def test_auto_is_cuda_when_available(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda")


def test_asking_for_cuda_without_it_is_an_error_naming_the_fix(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(BayesCNNError, match="--device cpu"):
        resolve_device("cuda:1")


def test_the_old_import_places_name_the_same_functions():
    assert distributed.resolve_device is resolve_device
    assert bayescnn.cli.tune_cpu_allocator is bayescnn.runtime.tune_cpu_allocator
    assert bayescnn.train.with_progress is bayescnn.runtime.with_progress
