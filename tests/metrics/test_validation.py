"""The one check of probability vectors that the metrics, the decompositions and the
Monte-Carlo samples share: finite, in [0, 1], each row summing to 1 within 1e-4."""

import pytest
import torch

from bayescnn.calibration.temperature import temper_predictive
from bayescnn.errors import InvalidArgumentError
from bayescnn.metrics._validation import PROBABILITY_SUM_TOLERANCE, check_probabilities


def _logits(*shape: int, scale: float = 1.0) -> torch.Tensor:
    return scale * torch.randn(*shape, generator=torch.Generator().manual_seed(0))


def test_the_tolerance_on_the_sum_is_one_in_ten_thousand() -> None:
    assert PROBABILITY_SUM_TOLERANCE == 1e-4


@pytest.mark.parametrize("off", [9e-5, -9e-5])
def test_a_row_within_the_tolerance_passes(off) -> None:
    check_probabilities(torch.tensor([[0.5 + off, 0.5]], dtype=torch.float64))


@pytest.mark.parametrize("off", [2e-4, -2e-4])
def test_a_row_beyond_the_tolerance_is_refused(off) -> None:
    with pytest.raises(InvalidArgumentError, match="not summing to 1"):
        check_probabilities(torch.tensor([[0.5 + off, 0.5]], dtype=torch.float64))


@pytest.mark.parametrize("scale", [1.0, 30.0])
def test_float32_softmax_rows_their_mean_and_their_tempering_pass(scale) -> None:
    # What the prediction path hands the metrics: a softmax, the mean of softmaxes, and the
    # pooled temperature's softmax(log p̄ / T), all float32, over many classes.
    probs = _logits(25, 64, 1000, scale=scale).softmax(dim=-1)
    check_probabilities(probs)
    mean = probs.mean(dim=0)
    check_probabilities(mean)
    for temperature in (0.05, 1.0, 20.0):
        check_probabilities(temper_predictive(mean, temperature))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_a_low_precision_softmax_passes_within_its_machine_epsilon(dtype) -> None:
    check_probabilities(_logits(64, 100, scale=5.0).softmax(dim=-1).to(dtype))


def test_the_message_names_the_first_five_rows_and_counts_all_of_them() -> None:
    probs = torch.full((20, 2), 0.5)
    probs[3:10] = 0.6
    with pytest.raises(InvalidArgumentError, match=r"7 of 20 rows are not \(rows 3, 4, 5, 6, 7, "
                       r"\.\.\.\)"):  # fmt: skip
        check_probabilities(probs)


def test_the_message_says_what_is_wrong_with_each_kind_of_row() -> None:
    probs = torch.tensor([[0.5, 0.5], [float("nan"), 0.5], [1.5, -0.5], [0.2, 0.2]])
    with pytest.raises(InvalidArgumentError) as raised:
        check_probabilities(probs, "predictive")
    message = str(raised.value)
    assert message.startswith("predictive must hold probability vectors")
    assert "1 not finite (NaN or inf), 1 with entries outside [0, 1], 1 not summing to 1 (row 3 " \
        "sums to 0.4)" in message  # fmt: skip


def test_rows_of_samples_are_named_by_sample_and_example() -> None:
    probs = torch.full((2, 3, 2), 0.5)
    probs[1, 2] = torch.tensor([0.9, 0.9])
    with pytest.raises(InvalidArgumentError, match=r"\(row \(1, 2\)\)"):
        check_probabilities(probs)
