"""The datasets bayescnn knows by name: MNIST, Fashion-MNIST, CIFAR-10/100 and SVHN."""

from __future__ import annotations

from functools import partial

from bayescnn.data.cifar import CIFAR10_FILES, CIFAR100_FILES, load_cifar10, load_cifar100
from bayescnn.data.download import (
    download_cifar10,
    download_cifar100,
    download_fashion_mnist,
    download_mnist,
    download_svhn,
)
from bayescnn.data.idx import idx_file_names, load_idx
from bayescnn.data.spec import DatasetSpec
from bayescnn.data.svhn import SVHN_CLASSES, SVHN_FILES, load_svhn

__all__ = ["BUILTIN_DATASETS"]


def _idx_files() -> tuple[tuple[str, ...], ...]:
    names = [*idx_file_names("train"), *idx_file_names("test")]
    return tuple((name, f"{name}.gz") for name in names)


_MNIST_CLASSES = tuple(str(digit) for digit in range(10))
_FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
_IDX_FILES_TEXT = (
    "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz "
    "and t10k-labels-idx1-ubyte.gz"
)

BUILTIN_DATASETS: tuple[DatasetSpec, ...] = (
    DatasetSpec(
        name="mnist",
        num_classes=10,
        in_channels=1,
        image_size=(28, 28),
        mean=(0.1307,),
        std=(0.3081,),
        reader=partial(load_idx, classes=_MNIST_CLASSES),
        search_subdirs=("mnist", "MNIST/raw"),
        required_files=_idx_files(),
        download=download_mnist,
        source_hint=f"download {_IDX_FILES_TEXT} from "
        "https://ossci-datasets.s3.amazonaws.com/mnist/ into <data_dir>/mnist/",
    ),
    DatasetSpec(
        name="fashion-mnist",
        num_classes=10,
        in_channels=1,
        image_size=(28, 28),
        mean=(0.2860,),
        std=(0.3530,),
        reader=partial(load_idx, classes=_FASHION_MNIST_CLASSES),
        search_subdirs=("fashion-mnist", "FashionMNIST/raw"),
        required_files=_idx_files(),
        download=download_fashion_mnist,
        source_hint="install it with `apt-get install dataset-fashion-mnist`, or download "
        f"{_IDX_FILES_TEXT} from http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/ "
        "into <data_dir>/fashion-mnist/",
    ),
    DatasetSpec(
        name="cifar10",
        num_classes=10,
        in_channels=3,
        image_size=(32, 32),
        mean=(0.4914, 0.4822, 0.4465),
        std=(0.2470, 0.2435, 0.2616),
        train_crop=True,
        train_flip=True,
        reader=load_cifar10,
        search_subdirs=("cifar-10-batches-py", "cifar10/cifar-10-batches-py"),
        required_files=tuple(
            (name,) for name in (*CIFAR10_FILES["train"], *CIFAR10_FILES["test"], "batches.meta")
        ),
        download=download_cifar10,
        source_hint="download https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz and "
        "extract it into <data_dir>/ (giving <data_dir>/cifar-10-batches-py/)",
    ),
    DatasetSpec(
        name="cifar100",
        num_classes=100,
        in_channels=3,
        image_size=(32, 32),
        mean=(0.5071, 0.4865, 0.4409),
        std=(0.2673, 0.2564, 0.2762),
        train_crop=True,
        train_flip=True,
        reader=load_cifar100,
        search_subdirs=("cifar-100-python", "cifar100/cifar-100-python"),
        required_files=tuple(
            (name,) for name in (*CIFAR100_FILES["train"], *CIFAR100_FILES["test"], "meta")
        ),
        download=download_cifar100,
        source_hint="download https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz and "
        "extract it into <data_dir>/ (giving <data_dir>/cifar-100-python/)",
    ),
    DatasetSpec(
        name="svhn",
        num_classes=len(SVHN_CLASSES),
        in_channels=3,
        image_size=(32, 32),
        mean=(0.4377, 0.4438, 0.4728),
        std=(0.1980, 0.2010, 0.1970),
        train_crop=True,
        reader=load_svhn,
        search_subdirs=("svhn", "SVHN"),
        required_files=tuple((name,) for name in SVHN_FILES.values()),
        download=download_svhn,
        source_hint="download http://ufldl.stanford.edu/housenumbers/train_32x32.mat and "
        "test_32x32.mat into <data_dir>/svhn/",
    ),
)
