"""predict refuses inputs that would give a silently wrong answer, and hides no other error."""

import pytest
import torch
from torch import nn

import bayescnn
from bayescnn.errors import InvalidTypeError, ModelInputError


@pytest.fixture
def lenet():
    return bayescnn.models.create("lenet", in_channels=1, image_size=28)


class Failing(nn.Module):
    """A model whose forward pass raises ``error``."""

    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error
        self.linear = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise self.error


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_nan_or_infinite_inputs_are_a_model_input_error(lenet, bad):
    x = torch.zeros(2, 1, 28, 28)
    x[0, 0, 0, 0] = bad
    with pytest.raises(ModelInputError, match="NaN or infinite"):
        bayescnn.predict(lenet, x, samples=2)


@pytest.mark.parametrize(
    "shape",
    [(2, 3, 28, 28), (2, 1, 32, 32), (2, 1, 4, 4), (2, 28, 28)],
    ids=["channels", "image-size", "smaller-than-kernel", "no-channel-dimension"],
)
def test_inputs_that_do_not_fit_the_model_are_a_model_input_error_naming_the_shape(lenet, shape):
    with pytest.raises(ModelInputError, match=rf"cannot take inputs of shape \({shape[0]}, "):
        bayescnn.predict(lenet, torch.zeros(shape), samples=2)


def test_a_model_input_error_keeps_pytorchs_error_as_its_cause(lenet):
    with pytest.raises(ModelInputError) as caught:
        bayescnn.predict(lenet, torch.zeros(2, 3, 28, 28), samples=2)
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert "channels" in str(caught.value.__cause__)


def test_another_runtime_error_of_the_model_propagates_unchanged():
    error = RuntimeError("boom")
    with pytest.raises(RuntimeError) as caught:
        bayescnn.predict(Failing(error), torch.zeros(2, 4), samples=2)
    assert caught.value is error


@pytest.mark.parametrize(
    "message",
    [
        "CUDA out of memory. Tried to allocate 2.00 GiB",
        "out of memory while checking: mat1 and mat2 shapes cannot be multiplied",
    ],
)
def test_out_of_memory_propagates_unchanged(message):
    error = torch.cuda.OutOfMemoryError(message)  # torch.OutOfMemoryError since PyTorch 2.5
    with pytest.raises(torch.cuda.OutOfMemoryError) as caught:
        bayescnn.predict(Failing(error), torch.zeros(2, 4), samples=2)
    assert caught.value is error


def test_integer_images_are_refused_with_a_hint(lenet):
    with pytest.raises(InvalidTypeError, match="float"):
        bayescnn.predict(lenet, torch.zeros(2, 1, 28, 28, dtype=torch.uint8), samples=2)
