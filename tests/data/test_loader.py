"""Specification of InMemoryLoader: order, sharding, normalisation, augmentation."""

import pytest
import torch

from bayescnn.data import ImageData, InMemoryLoader, PixelNormalization, evaluation_loader
from bayescnn.errors import BayesCNNError

MEAN, STD = (0.5, 0.25, 0.125), (0.5, 0.2, 0.1)


def numbered_data(size: int = 23, image_size: int = 8) -> ImageData:
    """Random RGB examples whose label is their index, so that they can be told apart."""
    generator = torch.Generator().manual_seed(0)
    return ImageData(
        images=torch.randint(0, 256, (size, 3, image_size, image_size), generator=generator).byte(),
        labels=torch.arange(size),
        classes=tuple(str(index) for index in range(size)),
    )


def make_loader(data=None, **options) -> InMemoryLoader:
    settings = {"batch_size": 5, "shuffle": True, "mean": MEAN, "std": STD} | options
    return InMemoryLoader(numbered_data() if data is None else data, **settings)


def epoch_labels(loader: InMemoryLoader, epoch: int = 0) -> list[int]:
    loader.set_epoch(epoch)
    return [label for _, labels in loader for label in labels.tolist()]


def normalized(images: torch.Tensor) -> torch.Tensor:
    mean, std = torch.tensor(MEAN).view(1, 3, 1, 1), torch.tensor(STD).view(1, 3, 1, 1)
    return (images.float() / 255 - mean) / std


def test_every_example_appears_exactly_once_per_epoch():
    assert sorted(epoch_labels(make_loader(), epoch=3)) == list(range(23))


def test_same_seed_and_epoch_give_the_same_order():
    assert epoch_labels(make_loader(seed=4), 2) == epoch_labels(make_loader(seed=4), 2)


def test_order_depends_only_on_seed_and_epoch_so_a_resumed_run_repeats_it():
    running = make_loader()
    for epoch in range(3):
        epoch_labels(running, epoch)
    assert epoch_labels(make_loader(), 3) == epoch_labels(running, 3)


def test_different_epochs_give_different_orders():
    loader = make_loader()
    assert epoch_labels(loader, 0) != epoch_labels(loader, 1)


def test_different_seeds_give_different_orders():
    assert epoch_labels(make_loader(seed=0)) != epoch_labels(make_loader(seed=1))


def test_without_shuffle_the_order_is_the_data_order():
    assert epoch_labels(make_loader(shuffle=False), 5) == list(range(23))


def test_shards_of_two_ranks_are_disjoint_and_cover_the_data():
    data = numbered_data(size=24)
    shards = [epoch_labels(make_loader(data, rank=rank, world_size=2), 1) for rank in (0, 1)]
    assert len(shards[0]) == len(shards[1]) == 12
    assert set(shards[0]).isdisjoint(shards[1])
    assert sorted(shards[0] + shards[1]) == list(range(24))


def test_uneven_shards_are_padded_by_wrapping_to_equal_size():
    shards = [epoch_labels(make_loader(rank=rank, world_size=2)) for rank in (0, 1)]
    assert len(shards[0]) == len(shards[1]) == 12
    assert set(shards[0] + shards[1]) == set(range(23))


def test_length_counts_batches_and_num_examples_counts_this_ranks_examples():
    loader = make_loader(rank=1, world_size=2)
    assert (loader.num_examples, len(loader)) == (12, 3)
    assert len(list(loader)) == 3


def test_drop_last_drops_the_incomplete_batch():
    loader = make_loader(drop_last=True)
    assert len(loader) == 4
    assert [len(labels) for _, labels in loader] == [5] * 4


def test_batches_are_float32_normalised_images_with_int64_labels():
    data = numbered_data()
    inputs, labels = next(iter(make_loader(data, shuffle=False)))
    assert inputs.dtype == torch.float32
    assert labels.dtype == torch.int64
    assert inputs.shape == (5, 3, 8, 8)
    assert torch.allclose(inputs, normalized(data.images[:5]), atol=1e-5)


def test_loader_without_augmentation_yields_the_images_unchanged():
    data = numbered_data()
    loader = make_loader(data, augment=False)
    for inputs, labels in loader:
        assert torch.allclose(inputs, normalized(data.images[labels]), atol=1e-5)


def test_augmentation_changes_images_and_keeps_shapes():
    data = numbered_data()
    changed = 0
    for inputs, labels in make_loader(data, augment=True):
        assert inputs.shape == (len(labels), 3, 8, 8)
        unchanged = torch.isclose(inputs, normalized(data.images[labels]), atol=1e-5)
        changed += int((~unchanged).any(dim=(1, 2, 3)).sum())
    assert changed > len(data) // 2


def test_augmentation_is_reproducible_for_the_same_seed_epoch_and_rank():
    first = [inputs for inputs, _ in make_loader(augment=True, seed=3)]
    second = [inputs for inputs, _ in make_loader(augment=True, seed=3)]
    assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))


def test_flip_without_crop_padding_mirrors_some_images_and_keeps_the_others():
    data = numbered_data(size=40)
    mirrored = 0
    for inputs, labels in make_loader(data, augment=True, crop_padding=0, batch_size=40):
        original = normalized(data.images[labels])
        is_mirror = torch.isclose(inputs, original.flip(3), atol=1e-5).all(dim=(1, 2, 3))
        is_same = torch.isclose(inputs, original, atol=1e-5).all(dim=(1, 2, 3))
        assert torch.all(is_mirror | is_same)
        mirrored = int(is_mirror.sum())
    assert 5 < mirrored < 35


def test_crop_is_a_window_of_the_zero_padded_image():
    data = numbered_data(size=10)
    inputs, labels = next(iter(make_loader(data, augment=True, flip=False, batch_size=10)))
    padded = normalized(torch.nn.functional.pad(data.images[labels], (4, 4, 4, 4)))
    for image, source in zip(inputs, padded, strict=True):
        windows = source.unfold(1, 8, 1).unfold(2, 8, 1).permute(1, 2, 0, 3, 4)
        assert torch.isclose(windows, image, atol=1e-5).all(dim=(2, 3, 4)).any()


@pytest.mark.parametrize(
    "options",
    [{"batch_size": 0}, {"mean": (0.5,)}, {"std": (1.0, 0.0, 1.0)}, {"rank": 2, "world_size": 2}],
    ids=["zero-batch", "mean-per-channel", "zero-std", "rank-outside-world"],
)
def test_invalid_settings_are_refused(options):
    with pytest.raises(ValueError):
        make_loader(**options)


def test_pixel_normalization_maps_uint8_images_to_x_over_255_minus_mean_over_std():
    images = numbered_data().images
    torch.testing.assert_close(PixelNormalization(MEAN, STD)(images), normalized(images))


@pytest.mark.parametrize(
    ("mean", "std", "message"),
    [((0.5,), (0.5, 0.5), "one value per channel"), ((0.5,), (0.0,), "std must be positive")],
)
def test_pixel_normalization_refuses_mismatched_or_non_positive_statistics(mean, std, message):
    with pytest.raises(BayesCNNError, match=message):
        PixelNormalization(mean, std)


def test_evaluation_loader_yields_every_example_in_order_normalised_and_unaugmented():
    data = numbered_data()
    batches = list(evaluation_loader(data, mean=MEAN, std=STD, batch_size=10))
    assert [len(labels) for _, labels in batches] == [10, 10, 3]
    torch.testing.assert_close(torch.cat([x for x, _ in batches]), normalized(data.images))
    assert torch.cat([y for _, y in batches]).tolist() == list(range(23))
