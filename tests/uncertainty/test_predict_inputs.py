"""predict refuses inputs that would give a silently wrong answer."""

import pytest
import torch

import bayescnn


@pytest.fixture
def lenet():
    return bayescnn.models.create("lenet", in_channels=1, image_size=28)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_nan_or_infinite_inputs_are_a_value_error(lenet, bad):
    x = torch.zeros(2, 1, 28, 28)
    x[0, 0, 0, 0] = bad
    with pytest.raises(ValueError, match="NaN or infinite"):
        bayescnn.predict(lenet, x, samples=2)


def test_inputs_of_the_wrong_channel_count_are_a_value_error_naming_the_shape(lenet):
    with pytest.raises(ValueError, match=r"cannot take inputs of shape \(2, 3, 28, 28\)"):
        bayescnn.predict(lenet, torch.zeros(2, 3, 28, 28), samples=2)


def test_integer_images_are_refused_with_a_hint(lenet):
    with pytest.raises(TypeError, match="float"):
        bayescnn.predict(lenet, torch.zeros(2, 1, 28, 28, dtype=torch.uint8), samples=2)
