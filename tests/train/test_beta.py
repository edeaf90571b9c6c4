"""KL-weight schedules count the KL once per epoch (or warm up to it)."""

import itertools

import pytest

from bayescnn.train import KLWeight


@pytest.mark.parametrize("num_batches", [1, 7, 188, 2000])
def test_blundell_weights_decrease_and_count_the_kl_once_per_epoch(num_batches):
    weight = KLWeight.parse("blundell")
    betas = [weight(i, num_batches, 0, 10) for i in range(num_batches)]
    assert sum(betas) / num_batches == pytest.approx(1.0)
    assert all(a >= b for a, b in itertools.pairwise(betas))


def test_standard_and_numbers_are_constant():
    assert KLWeight.parse("standard")(3, 10, 2, 5) == 1.0
    assert KLWeight.parse(0.1)(0, 10, 0, 5) == 0.1
    assert KLWeight.parse("0.25")(9, 10, 4, 5) == 0.25


def test_soenderby_warms_up_linearly_over_a_quarter_of_the_epochs():
    weight = KLWeight.parse("soenderby")
    assert weight(0, 10, 0, 8) == pytest.approx(0.05)
    assert weight(9, 10, 1, 8) == pytest.approx(1.0)
    assert weight(0, 10, 5, 8) == 1.0


@pytest.mark.parametrize("epochs", [1, 2, 3])
def test_soenderby_with_fewer_than_four_epochs_does_not_divide_by_zero(epochs):
    assert 0 < KLWeight.parse("soenderby")(0, 4, 0, epochs) <= 1


@pytest.mark.parametrize("value", ["blundel", "Standard-ish", -1.0, float("nan")])
def test_misspelled_or_invalid_beta_is_an_error_never_a_silent_zero(value):
    with pytest.raises(ValueError, match="beta"):
        KLWeight.parse(value)
