"""Temperature scaling of the Monte-Carlo predictive in its two forms (pooled: the averaged
predictive; per-sample: each sample's logits): the fit, and the temperature kept with the
model."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from bayescnn.errors import InvalidArgumentError, InvalidTypeError
from bayescnn.nn.temperature import (
    POOLED_BUFFER,
    TEMPERATURE_BUFFER,
    apply_temperature,
    fit_temperature,
    predictive_nll,
    set_temperature,
    temper_predictive,
    temperature_form,
    temperature_of,
)

FORMS = ["pooled", "per-sample"]


def _labels_drawn_at(logits: torch.Tensor, temperature: float, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    probs = (logits / temperature).softmax(-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("true_temperature", [0.5, 1.0, 2.5])
def test_the_fit_recovers_the_temperature_that_generated_the_labels(true_temperature, form):
    generator = torch.Generator().manual_seed(0)
    logits = 3 * torch.randn(40_000, 5, generator=generator)
    labels = _labels_drawn_at(logits, true_temperature, seed=1)
    fitted = fit_temperature(logits, labels, form=form)  # one sample: the forms agree
    assert fitted == pytest.approx(true_temperature, rel=0.05)


@pytest.mark.parametrize("form", FORMS)
def test_the_fitted_temperature_minimises_the_monte_carlo_nll(form):
    generator = torch.Generator().manual_seed(0)
    centre = 4 * torch.randn(2_000, 10, generator=generator)
    samples = centre + 2 * torch.randn(25, 2_000, 10, generator=generator)
    labels = _labels_drawn_at(centre, 1.7, seed=2)
    fitted = fit_temperature(samples, labels, form=form)
    best = predictive_nll(samples, labels, fitted, form=form)
    for other in (fitted * 0.9, fitted * 1.1, 1.0):
        assert best <= predictive_nll(samples, labels, other, form=form) + 1e-9


def _samples_and_labels():
    generator = torch.Generator().manual_seed(0)
    samples = torch.randn(3, 4, 6, generator=generator, dtype=torch.float64)
    return samples, torch.tensor([0, 5, 2, 2])


def test_the_per_sample_nll_is_minus_the_log_of_the_mean_tempered_softmax_of_the_label():
    samples, labels = _samples_and_labels()
    expected = -(samples / 2).softmax(-1).mean(0)[torch.arange(4), labels].log().mean()
    got = predictive_nll(samples, labels, 2.0, form="per-sample")
    assert got == pytest.approx(float(expected), rel=1e-9)


def test_the_pooled_nll_is_minus_the_log_of_the_tempered_mean_softmax_of_the_label():
    samples, labels = _samples_and_labels()
    pooled = (samples.softmax(-1).mean(0).log() / 2).softmax(-1)
    expected = -pooled[torch.arange(4), labels].log().mean()
    assert predictive_nll(samples, labels, 2.0, form="pooled") == pytest.approx(
        float(expected), rel=1e-9
    )


def test_the_two_forms_agree_at_temperature_one_and_differ_elsewhere():
    samples, labels = _samples_and_labels()
    one = [predictive_nll(samples, labels, 1.0, form=form) for form in FORMS]
    assert one[0] == pytest.approx(one[1], rel=1e-12)
    two = [predictive_nll(samples, labels, 2.0, form=form) for form in FORMS]
    assert abs(two[0] - two[1]) > 1e-3


def test_tempering_a_predictive_keeps_its_argmax_and_sums_to_one():
    generator = torch.Generator().manual_seed(0)
    predictive = torch.randn(50, 7, generator=generator).softmax(-1)
    torch.testing.assert_close(temper_predictive(predictive, 1.0), predictive)
    for temperature in (0.3, 3.0):
        tempered = temper_predictive(predictive, temperature)
        torch.testing.assert_close(tempered.sum(-1), torch.ones(50))
        assert torch.equal(tempered.argmax(-1), predictive.argmax(-1))
    sharp = temper_predictive(predictive, 0.3).max(-1).values
    assert (sharp >= predictive.max(-1).values - 1e-6).all()
    with_zero = torch.tensor([[1.0, 0.0, 0.0]])
    assert torch.isfinite(temper_predictive(with_zero, 2.0)).all()


def test_the_fit_refuses_labels_that_do_not_match_the_examples():
    with pytest.raises(InvalidArgumentError, match="one label per held-out example"):
        fit_temperature(torch.zeros(2, 5, 3), torch.zeros(4, dtype=torch.long))


def test_a_model_is_uncalibrated_until_a_temperature_is_set():
    model = nn.Linear(3, 2)
    assert temperature_of(model) is None
    logits = torch.randn(4, 2)
    assert apply_temperature(logits, model) is logits


def test_a_per_sample_temperature_divides_the_logits_and_travels_in_the_state_dict():
    model = set_temperature(nn.Linear(3, 2), 2.0, form="per-sample")
    assert (temperature_of(model), temperature_form(model)) == (2.0, "per-sample")
    logits = torch.randn(4, 2)
    torch.testing.assert_close(apply_temperature(logits, model), logits / 2)
    assert float(model.state_dict()[TEMPERATURE_BUFFER]) == 2.0
    assert POOLED_BUFFER not in model.state_dict()  # as saved before the pooled form


def test_a_pooled_temperature_leaves_the_samples_logits_alone():
    model = set_temperature(nn.Linear(3, 2), 2.0)
    assert temperature_form(model) == "pooled"
    logits = torch.randn(4, 2)
    assert apply_temperature(logits, model) is logits
    assert bool(model.state_dict()[POOLED_BUFFER])


def test_setting_again_overwrites_and_none_removes_it():
    model = set_temperature(nn.Linear(3, 2), 2.0)
    buffer = model._buffers[TEMPERATURE_BUFFER]
    set_temperature(model, 0.5)
    assert model._buffers[TEMPERATURE_BUFFER] is buffer
    assert temperature_of(model) == 0.5
    set_temperature(model, 0.5, form="per-sample")
    assert temperature_form(model) == "per-sample"
    set_temperature(model, None)
    assert temperature_of(model) is None and temperature_form(model) is None
    assert TEMPERATURE_BUFFER not in model.state_dict()
    assert POOLED_BUFFER not in model.state_dict()


@pytest.mark.parametrize("bad", [0.0, -1.0, math.inf, math.nan, True, "2"])
def test_a_temperature_must_be_a_positive_finite_number(bad):
    with pytest.raises(InvalidArgumentError, match="temperature"):
        set_temperature(nn.Linear(3, 2), bad)


@pytest.mark.parametrize("form", FORMS)
def test_a_calibrated_state_dict_loads_into_a_fresh_model_with_its_temperature(form):
    from bayescnn.io import load_model_state

    saved = set_temperature(nn.Linear(3, 2), 1.5, form=form).state_dict()
    fresh = nn.Linear(3, 2)
    load_model_state(fresh, saved)
    assert (temperature_of(fresh), temperature_form(fresh)) == (1.5, form)


def test_a_state_dict_saved_before_the_pooled_form_loads_as_per_sample():
    from bayescnn.io import load_model_state

    saved = set_temperature(nn.Linear(3, 2), 1.5).state_dict()
    del saved[POOLED_BUFFER]  # what a calibrated checkpoint of an earlier version holds
    fresh = nn.Linear(3, 2)
    load_model_state(fresh, saved)
    assert (temperature_of(fresh), temperature_form(fresh)) == (1.5, "per-sample")


def test_an_unknown_form_is_refused_with_the_choices():
    with pytest.raises(InvalidArgumentError, match="'pooled', 'per-sample'"):
        set_temperature(nn.Linear(3, 2), 1.5, form="global")


def test_an_uncalibrated_state_dict_leaves_the_model_uncalibrated():
    from bayescnn.io import load_model_state

    saved = nn.Linear(3, 2).state_dict()
    model = set_temperature(nn.Linear(3, 2), 1.5)
    load_model_state(model, saved)
    assert temperature_of(model) is None


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_the_fit_refuses_logits_that_are_not_finite_and_counts_them(bad):
    # A diverged model: 3 of the 2 x 100 x 5 = 1,000 logits, in 2 examples, are not finite.
    logits = torch.randn(2, 100, 5, generator=torch.Generator().manual_seed(0))
    logits[0, 7, 1] = logits[1, 7, 3] = logits[1, 42, 0] = bad
    labels = torch.zeros(100, dtype=torch.long)
    with pytest.raises(InvalidArgumentError, match=r"3 of 1,000 held-out logits are not finite "
                       r"\(NaN or inf\), in 2 of 100 examples: the model diverged"):  # fmt: skip
        fit_temperature(logits, labels)


def test_the_fit_refuses_a_label_that_is_not_a_class_index_and_names_it():
    labels = torch.tensor([0, 1, 9, 12, 3])
    with pytest.raises(InvalidArgumentError, match=r"labels must lie in \[0, 10\) .* got 12 at "
                       r"position 3"):  # fmt: skip
        fit_temperature(torch.randn(5, 10), labels)


def test_the_nll_refuses_a_negative_label_rather_than_reading_another_class():
    with pytest.raises(InvalidArgumentError, match="got -1 at position 1"):
        predictive_nll(torch.randn(2, 3, 4), torch.tensor([0, -1, 2]))


def test_the_fit_refuses_labels_that_are_not_integers():
    with pytest.raises(InvalidTypeError, match="labels must be an integer tensor"):
        fit_temperature(torch.randn(3, 4), torch.tensor([0.0, 1.0, 2.0]))
