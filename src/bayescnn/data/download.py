"""Downloading datasets through torchvision (needs internet access)."""

from __future__ import annotations

from pathlib import Path


def download_mnist(root: Path) -> None:
    """Downloads MNIST into ``root/MNIST/raw``."""
    from torchvision.datasets import MNIST

    for train in (True, False):
        MNIST(root, train=train, download=True)


def download_fashion_mnist(root: Path) -> None:
    """Downloads Fashion-MNIST into ``root/FashionMNIST/raw``."""
    from torchvision.datasets import FashionMNIST

    for train in (True, False):
        FashionMNIST(root, train=train, download=True)


def download_cifar10(root: Path) -> None:
    """Downloads and extracts CIFAR-10 into ``root/cifar-10-batches-py``."""
    from torchvision.datasets import CIFAR10

    CIFAR10(root, train=True, download=True)


def download_cifar100(root: Path) -> None:
    """Downloads and extracts CIFAR-100 into ``root/cifar-100-python``."""
    from torchvision.datasets import CIFAR100

    CIFAR100(root, train=True, download=True)


def download_svhn(root: Path) -> None:
    """Downloads SVHN's ``train_32x32.mat`` and ``test_32x32.mat`` into ``root/svhn``."""
    from torchvision.datasets import SVHN

    for split in ("train", "test"):
        SVHN(root / "svhn", split=split, download=True)
