"""The temperature kept with a model, in its two forms (pooled: the averaged predictive;
per-sample: each sample's logits): set, applied, saved in the state dict and loaded."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from bayescnn.calibration.temperature import (
    POOLED_BUFFER,
    TEMPERATURE_BUFFER,
    apply_temperature,
    set_temperature,
    temper_predictive,
    temperature_form,
    temperature_of,
)
from bayescnn.errors import InvalidArgumentError

FORMS = ["pooled", "per-sample"]


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
