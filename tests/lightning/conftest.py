"""Tiny synthetic data, a small CNN and a quiet CPU trainer for the Lightning specs."""

from collections.abc import Callable

import lightning as L
import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

import bayescnn


def two_blobs(count: int = 128, seed: int = 0) -> TensorDataset:
    """8x8 one-channel images of two classes: class 1 is brighter by 2 everywhere."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 2, (count,), generator=generator)
    images = torch.randn(count, 1, 8, 8, generator=generator) + 2.0 * labels.view(-1, 1, 1, 1)
    return TensorDataset(images, labels)


def tiny_bayesian_cnn(seed: int = 0, *, batch_norm: bool = False) -> nn.Module:
    """A Conv-(BatchNorm)-ReLU-Linear network for 8x8 images and 2 classes, every weight
    layer Bayesian."""
    torch.manual_seed(seed)
    norm = [nn.BatchNorm2d(4)] if batch_norm else []
    net = nn.Sequential(nn.Conv2d(1, 4, 3), *norm, nn.ReLU(), nn.Flatten(), nn.Linear(144, 2))
    return bayescnn.to_bayesian(net, bayesian_layers="all")  # the convolution too


@pytest.fixture
def data() -> Callable[..., TensorDataset]:
    return two_blobs


@pytest.fixture
def tiny_cnn() -> Callable[..., nn.Module]:
    return tiny_bayesian_cnn


@pytest.fixture
def quiet_trainer() -> Callable[..., L.Trainer]:
    """``quiet_trainer(**options)``: a CPU ``lightning.Trainer`` without logs, files or bars."""

    def make(**options: object) -> L.Trainer:
        defaults = {
            "accelerator": "cpu",
            "devices": 1,
            "logger": False,
            "enable_checkpointing": False,
            "enable_progress_bar": False,
            "enable_model_summary": False,
            "log_every_n_steps": 1,
        }
        return L.Trainer(**(defaults | options))

    return make
