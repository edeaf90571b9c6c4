"""Section 3: images per second of the in-memory loader vs the original per-sample PIL pipeline."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

from bayescnn.data import ImageData, InMemoryLoader, convert_image_data, get_spec, load_dataset
from benchmarks.report import Row, Target
from benchmarks.timing import interleaved, median, paired_ratio, synchronizer

DATA_TARGET = Target(10.0, at_most=False)


class PilTransformDataset(Dataset[tuple[torch.Tensor, int]]):
    """The original research code's dataset: one PIL image per item, torchvision transforms.

    This is what ``torchvision.datasets.FashionMNIST.__getitem__`` does internally:
    the stored uint8 image becomes a grayscale ``PIL.Image`` and goes through
    ``transform`` (here ``Resize(32)``, ``ToTensor()``, ``Normalize``); the label
    becomes a Python int.
    """

    def __init__(self, data: ImageData, transform: Callable[[Image.Image], torch.Tensor]) -> None:
        if data.images.shape[1] != 1:
            raise ValueError("PilTransformDataset holds grayscale (1-channel) images")
        self.images = data.images[:, 0].contiguous()  # N x H x W, as torchvision stores them
        self.labels = data.labels
        self.transform = transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        image = Image.fromarray(self.images[index].numpy())
        return self.transform(image), int(self.labels[index])


def original_transform(
    image_size: int, mean: Sequence[float], std: Sequence[float]
) -> transforms.Compose:
    """The original code's per-sample transform: Resize, ToTensor, Normalize."""
    return transforms.Compose(
        [
            transforms.Resize(image_size),
            transforms.ToTensor(),
            transforms.Normalize(tuple(mean), tuple(std)),
        ]
    )


@dataclass(frozen=True)
class FashionMnist:
    """The training split at its native size and resized once to 32x32, with its statistics."""

    raw: ImageData
    resized: ImageData
    mean: tuple[float, ...]
    std: tuple[float, ...]
    load_seconds: float
    resize_seconds: float


def load_fashion_mnist(data_dir: str | Path | None = None, image_size: int = 32) -> FashionMnist:
    """Load real Fashion-MNIST (train split) and time the load and the one-time resize."""
    start = time.perf_counter()
    train, _ = load_dataset("fashion-mnist", data_dir)
    loaded = time.perf_counter()
    resized = convert_image_data(train, image_size=image_size)
    done = time.perf_counter()
    spec = get_spec("fashion-mnist")
    return FashionMnist(train, resized, spec.mean, spec.std, loaded - start, done - loaded)


def bench_data_path(
    device: torch.device,
    raw: ImageData,
    resized: ImageData,
    mean: Sequence[float],
    std: Sequence[float],
    *,
    batch_size: int = 256,
    batches: int = 20,
    workers: Sequence[int] = (0, 1),
    rounds: int = 5,
    warmup: int = 1,
    in_memory_reps: int = 20,
    seed: int = 0,
    resize_seconds: float | None = None,
) -> list[Row]:
    """Images per second of each pipeline over the same ``batches * batch_size`` examples.

    Every call is one shuffled pass over that random subset, ending with the batches
    on ``device``. The DataLoaders with workers keep them alive between passes
    (``persistent_workers``), so worker start-up is paid in the warm-up only. The
    in-memory loader is so fast that each of its timings spans ``in_memory_reps``
    passes, so that one scheduling hiccup does not dominate it.
    """
    image_size = resized.images.shape[-1]
    count = min(len(raw), batches * batch_size)
    generator = torch.Generator().manual_seed(seed)
    subset = torch.randperm(len(raw), generator=generator)[:count]
    raw_subset, resized_subset = raw.subset(subset), resized.subset(subset)
    sync = synchronizer(device)
    dataset = PilTransformDataset(raw_subset, original_transform(image_size, mean, std))
    variants: dict[str, Callable[[], object]] = {}
    for num_workers in workers:
        loader = DataLoader(
            dataset,
            batch_size=batch_size,
            shuffle=True,
            num_workers=num_workers,
            persistent_workers=num_workers > 0,
            pin_memory=device.type == "cuda",
            generator=torch.Generator().manual_seed(seed),
        )
        variants[f"torchvision PIL, workers={num_workers}"] = _bind_pass(loader, device)
    in_memory = InMemoryLoader(
        resized_subset, batch_size, shuffle=True, seed=seed, device=device, mean=mean, std=std
    )
    variants["in-memory loader"] = _bind_in_memory(in_memory)
    samples = interleaved(
        variants,
        rounds=rounds,
        reps={"in-memory loader": in_memory_reps},
        warmup=warmup,
        sync=sync,
    )
    fast = samples["in-memory loader"]
    section = f"3. data path, Fashion-MNIST 28->{image_size}, batch {batch_size}"
    rows = []
    for name, times in samples.items():
        is_fast = name == "in-memory loader"
        rows.append(
            Row(
                section=section,
                name=name,
                value=count / median(times),
                unit="img/s",
                ratio=None if is_fast else paired_ratio(times, fast),
                ratio_of="" if is_fast else "in-memory is x faster",
                target=None if is_fast else DATA_TARGET,
                samples=[count / t for t in times],
                note=f"{count} images per pass",
            )
        )
    if resize_seconds is not None:
        rows.append(
            Row(
                section=section,
                name="one-time resize (in-memory)",
                value=resize_seconds,
                unit="s",
                note=f"{len(raw)} images resized once at load time, not per epoch",
            )
        )
    return rows


def _bind_pass(loader: DataLoader, device: torch.device) -> Callable[[], object]:
    def one_pass() -> object:
        last = None
        for inputs, labels in loader:
            last = (inputs.to(device, non_blocking=True), labels.to(device, non_blocking=True))
        return last

    return one_pass


def _bind_in_memory(loader: InMemoryLoader) -> Callable[[], object]:
    epochs = iter(range(1 << 62))

    def one_pass() -> object:
        loader.set_epoch(next(epochs))
        last = None
        for batch in loader:
            last = batch
        return last

    return one_pass
