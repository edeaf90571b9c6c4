"""Temperature scaling of the Monte-Carlo predictive: the fit, and the temperature kept
with the model."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from bayescnn.errors import InvalidArgumentError
from bayescnn.nn.temperature import (
    TEMPERATURE_BUFFER,
    apply_temperature,
    fit_temperature,
    predictive_nll,
    set_temperature,
    temperature_of,
)


def _labels_drawn_at(logits: torch.Tensor, temperature: float, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    probs = (logits / temperature).softmax(-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


@pytest.mark.parametrize("true_temperature", [0.5, 1.0, 2.5])
def test_the_fit_recovers_the_temperature_that_generated_the_labels(true_temperature):
    generator = torch.Generator().manual_seed(0)
    logits = 3 * torch.randn(40_000, 5, generator=generator)
    labels = _labels_drawn_at(logits, true_temperature, seed=1)
    fitted = fit_temperature(logits, labels)
    assert fitted == pytest.approx(true_temperature, rel=0.05)


def test_the_fitted_temperature_minimises_the_monte_carlo_nll():
    generator = torch.Generator().manual_seed(0)
    centre = 4 * torch.randn(2_000, 10, generator=generator)
    samples = centre + 2 * torch.randn(25, 2_000, 10, generator=generator)
    labels = _labels_drawn_at(centre, 1.7, seed=2)
    fitted = fit_temperature(samples, labels)
    best = predictive_nll(samples, labels, fitted)
    for other in (fitted * 0.9, fitted * 1.1, 1.0):
        assert best <= predictive_nll(samples, labels, other) + 1e-9


def test_the_monte_carlo_nll_is_minus_the_log_of_the_mean_softmax_of_the_label():
    generator = torch.Generator().manual_seed(0)
    samples = torch.randn(3, 4, 6, generator=generator, dtype=torch.float64)
    labels = torch.tensor([0, 5, 2, 2])
    expected = -(samples / 2).softmax(-1).mean(0)[torch.arange(4), labels].log().mean()
    assert predictive_nll(samples, labels, 2.0) == pytest.approx(float(expected), rel=1e-9)


def test_the_fit_refuses_labels_that_do_not_match_the_examples():
    with pytest.raises(InvalidArgumentError, match="one label per held-out example"):
        fit_temperature(torch.zeros(2, 5, 3), torch.zeros(4, dtype=torch.long))


def test_a_model_is_uncalibrated_until_a_temperature_is_set():
    model = nn.Linear(3, 2)
    assert temperature_of(model) is None
    logits = torch.randn(4, 2)
    assert apply_temperature(logits, model) is logits


def test_the_temperature_divides_the_logits_and_travels_in_the_state_dict():
    model = set_temperature(nn.Linear(3, 2), 2.0)
    assert temperature_of(model) == 2.0
    logits = torch.randn(4, 2)
    torch.testing.assert_close(apply_temperature(logits, model), logits / 2)
    assert float(model.state_dict()[TEMPERATURE_BUFFER]) == 2.0


def test_setting_again_overwrites_and_none_removes_it():
    model = set_temperature(nn.Linear(3, 2), 2.0)
    buffer = model._buffers[TEMPERATURE_BUFFER]
    set_temperature(model, 0.5)
    assert model._buffers[TEMPERATURE_BUFFER] is buffer
    assert temperature_of(model) == 0.5
    set_temperature(model, None)
    assert temperature_of(model) is None
    assert TEMPERATURE_BUFFER not in model.state_dict()


@pytest.mark.parametrize("bad", [0.0, -1.0, math.inf, math.nan, True, "2"])
def test_a_temperature_must_be_a_positive_finite_number(bad):
    with pytest.raises(InvalidArgumentError, match="temperature"):
        set_temperature(nn.Linear(3, 2), bad)


def test_a_calibrated_state_dict_loads_into_a_fresh_model_with_its_temperature():
    from bayescnn.io import load_model_state

    saved = set_temperature(nn.Linear(3, 2), 1.5).state_dict()
    fresh = nn.Linear(3, 2)
    load_model_state(fresh, saved)
    assert temperature_of(fresh) == 1.5


def test_an_uncalibrated_state_dict_leaves_the_model_uncalibrated():
    from bayescnn.io import load_model_state

    saved = nn.Linear(3, 2).state_dict()
    model = set_temperature(nn.Linear(3, 2), 1.5)
    load_model_state(model, saved)
    assert temperature_of(model) is None
