"""bayescnn.calibrate: one temperature fitted on held-out batches, then applied by every
prediction path."""

from __future__ import annotations

import functools

import pytest
import torch
from torch import nn

import bayescnn
from bayescnn import nn as bnn
from bayescnn.calibration import held_out_logits, tempered_nll
from bayescnn.errors import InvalidArgumentError


class _Scaled(nn.Module):
    """A Bayesian classifier whose logits are ``scale`` times too large (overconfident)."""

    def __init__(self, scale: float) -> None:
        super().__init__()
        self.layer = bnn.Linear(6, 4, posterior_rho_init=(-3.0, 0.0))
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scale * self.layer(x)


def _data(seed: int, count: int = 3000) -> tuple[torch.Tensor, torch.Tensor, nn.Module]:
    """Inputs and labels drawn from a reference Bayesian classifier's own predictive."""
    torch.manual_seed(seed)
    reference = _Scaled(1.0)
    inputs = torch.randn(count, 6)
    probs = bayescnn.predict(reference, inputs, samples=10, scores="none").probs
    labels = torch.multinomial(probs, 1).squeeze(-1)
    return inputs, labels, reference


def _batches(inputs: torch.Tensor, labels: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return list(zip(inputs.split(500), labels.split(500), strict=True))


def test_an_overconfident_model_gets_a_temperature_above_one_and_a_lower_held_out_nll():
    inputs, labels, reference = _data(0)
    model = _Scaled(4.0)
    model.load_state_dict(reference.state_dict())
    torch.manual_seed(1)
    fit = bayescnn.calibrate(model, _batches(inputs, labels), samples=10)
    assert fit.temperature == pytest.approx(4.0, rel=0.2)
    assert fit.nll_calibrated < fit.nll_raw
    assert (fit.examples, fit.samples) == (3000, 10)
    assert bayescnn.calibration.temperature_of(model) == fit.temperature


def _calibrated_and_raw(form: str):
    """A calibrated model's calibrated and raw predictions, and its logits, on one draw."""
    inputs, labels, _ = _data(0, count=400)
    model = _Scaled(3.0)
    bayescnn.calibrate(model, _batches(inputs, labels), samples=5, form=form)
    predictions = []
    for calibrated in (True, False):
        torch.manual_seed(5)
        predictions.append(
            bayescnn.predict(model, inputs, samples=5, batch_size=400, calibrated=calibrated)
        )
    torch.manual_seed(5)
    logits = bayescnn.sample_forward(model, inputs, 5)
    return model, *predictions, logits


def test_a_per_sample_temperature_divides_every_samples_logits():
    model, calibrated, raw, logits = _calibrated_and_raw("per-sample")
    temperature = bayescnn.calibration.temperature_of(model)
    tempered = logits / temperature
    torch.testing.assert_close(calibrated.probs, tempered.softmax(-1).mean(0))
    torch.testing.assert_close(raw.probs, logits.softmax(-1).mean(0))
    entropy = bayescnn.uncertainty.entropy_decomposition(tempered.softmax(-1).double())
    torch.testing.assert_close(calibrated.entropy.epistemic, entropy.epistemic.float())


def test_a_pooled_temperature_tempers_the_averaged_predictive_and_leaves_the_samples_raw():
    model, calibrated, raw, logits = _calibrated_and_raw("pooled")
    temperature = bayescnn.calibration.temperature_of(model)
    assert bayescnn.calibration.temperature_form(model) == "pooled"
    mean = logits.softmax(-1).mean(0)
    torch.testing.assert_close(calibrated.probs, (mean.log() / temperature).softmax(-1))
    torch.testing.assert_close(raw.probs, mean)
    torch.testing.assert_close(calibrated.predicted, raw.predicted)
    # the samples' own summaries: the decompositions and the scores of the samples
    torch.testing.assert_close(calibrated.entropy.epistemic, raw.entropy.epistemic)
    for name in ("mutual_info", "energy", "epistemic_trace"):
        torch.testing.assert_close(calibrated.scores[name], raw.scores[name])
    # the score read off the predictive follows it
    torch.testing.assert_close(calibrated.scores["max_prob"], 1 - calibrated.probs.max(-1).values)


def test_calibrate_fits_the_pooled_form_unless_told_otherwise():
    inputs, labels, _ = _data(0, count=400)
    model = _Scaled(3.0)
    fit = bayescnn.calibrate(model, _batches(inputs, labels), samples=5)
    assert fit.form == "pooled" == bayescnn.defaults.TEMPERATURE_FORM
    assert bayescnn.calibration.temperature_form(model) == "pooled"
    with pytest.raises(InvalidArgumentError, match="temperature form"):
        bayescnn.calibrate(model, _batches(inputs, labels), samples=5, form="global")


@pytest.mark.parametrize("form", ["pooled", "per-sample"])
def test_the_fit_minimises_the_held_out_nll_of_the_samples_it_drew(form):
    inputs, labels, reference = _data(2, count=600)
    model = _Scaled(2.0)
    model.load_state_dict(reference.state_dict())
    torch.manual_seed(3)
    fit = bayescnn.calibrate(model, [(inputs, labels)], samples=8, form=form)
    torch.manual_seed(3)
    logits = bayescnn.sample_forward(model, inputs, 8)
    nll = functools.partial(tempered_nll, logits, labels, form=form)
    assert fit.nll_calibrated == pytest.approx(nll(fit.temperature), rel=1e-5)
    assert fit.nll_raw == pytest.approx(nll(1.0), rel=1e-5)
    assert 1.2 < fit.temperature < 4.0  # an inner minimum, not a bound of the search
    for other in (0.8 * fit.temperature, 1.25 * fit.temperature):
        assert fit.nll_calibrated < nll(other)


def test_calibrating_again_starts_from_the_raw_predictive():
    inputs, labels, reference = _data(0, count=600)
    model = _Scaled(3.0)
    model.load_state_dict(reference.state_dict())
    torch.manual_seed(0)
    first = bayescnn.calibrate(model, _batches(inputs, labels), samples=4)
    torch.manual_seed(0)
    second = bayescnn.calibrate(model, _batches(inputs, labels), samples=4)
    assert second.temperature == pytest.approx(first.temperature, rel=1e-6)


def test_an_ensemble_gets_one_temperature_for_its_pooled_predictive():
    inputs, labels, reference = _data(0, count=600)
    members = [_Scaled(3.0) for _ in range(2)]
    for member in members:
        member.load_state_dict(reference.state_dict())
    ensemble = bayescnn.Ensemble(members)
    fit = bayescnn.calibrate(ensemble, _batches(inputs, labels), samples=3)
    assert fit.samples == 6
    assert bayescnn.calibration.temperature_of(ensemble) == fit.temperature
    assert all(bayescnn.calibration.temperature_of(member) is None for member in members)


def test_calibration_needs_labelled_batches():
    with pytest.raises(InvalidArgumentError, match="calibration needs labels"):
        bayescnn.calibrate(_Scaled(1.0), [torch.randn(4, 6)], samples=2)


def test_calibration_needs_at_least_one_batch():
    with pytest.raises(InvalidArgumentError, match="no batches to calibrate on"):
        bayescnn.calibrate(_Scaled(1.0), [], samples=2)


def test_a_temperature_at_the_bound_of_the_search_is_reported():
    inputs = torch.randn(200, 6)
    labels = torch.randint(0, 4, (200,))
    model = _Scaled(1.0)
    with torch.no_grad():
        model.layer.weight_mu.mul_(0)  # every answer uniform: no temperature helps
        model.layer.bias_mu.copy_(torch.tensor([50.0, 0.0, 0.0, 0.0]))  # but one confident class
    with pytest.warns(UserWarning, match="at a bound of the search"):
        bayescnn.calibrate(model, [(inputs, labels)], samples=2)


@pytest.mark.parametrize("form", ["pooled", "per-sample"])
def test_calibrate_is_its_pass_then_calibrate_logits(form):
    inputs, labels, reference = _data(2, count=600)
    model, again = _Scaled(2.0), _Scaled(2.0)
    model.load_state_dict(reference.state_dict())
    again.load_state_dict(reference.state_dict())
    torch.manual_seed(3)
    fit = bayescnn.calibrate(model, _batches(inputs, labels), samples=8, form=form)
    torch.manual_seed(3)
    logits, held_out = held_out_logits(again, _batches(inputs, labels), samples=8)
    assert bayescnn.calibrate_logits(again, logits, held_out, form=form) == fit
    assert bayescnn.calibration.temperature_of(again) == bayescnn.calibration.temperature_of(model)
    assert bayescnn.calibration.temperature_form(again) == form


def test_calibrate_logits_takes_one_plain_sample_as_n_by_k_logits():
    generator = torch.Generator().manual_seed(0)
    logits = 3 * torch.randn(200, 4, generator=generator)
    labels = torch.multinomial((logits / 3).softmax(-1), 1, generator=generator).squeeze(-1)
    fit = bayescnn.calibrate_logits(nn.Linear(1, 1), logits, labels)
    assert fit.samples == 1 and fit.temperature == pytest.approx(3.0, rel=0.3)


def test_calibrate_logits_refuses_logits_that_do_not_match_the_labels():
    model = nn.Linear(1, 1)
    with pytest.raises(InvalidArgumentError, match="one label per held-out example: 5 ex"):
        bayescnn.calibrate_logits(model, torch.randn(2, 5, 3), torch.zeros(4, dtype=torch.long))
    assert bayescnn.calibration.temperature_of(model) is None


class _DivergedOn(nn.Module):
    """A classifier whose output for one input (the ``index``-th of each batch) is NaN."""

    def __init__(self, index: int) -> None:
        super().__init__()
        self.layer = bnn.Linear(6, 4)
        self.index = index

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.layer(x)
        nan = torch.zeros_like(logits)
        nan[..., self.index, 0] = float("nan")
        return logits + nan


def test_a_model_with_a_nan_output_is_refused_naming_how_many_logits_are_not_finite():
    inputs, labels = torch.randn(200, 6), torch.randint(0, 4, (200,))
    model = _DivergedOn(index=3)
    # 2 batches x 2 samples: one NaN logit each, among 2 x 200 x 4 = 1,600.
    with pytest.raises(InvalidArgumentError, match=r"4 of 1,600 held-out logits are not finite"):
        bayescnn.calibrate(model, [(inputs[:100], labels[:100]), (inputs[100:], labels[100:])],
                           samples=2)  # fmt: skip
    assert bayescnn.calibration.temperature_of(model) is None


def test_predicting_with_a_widened_network_never_calibrated_says_so():
    import warnings

    from bayescnn.uncertainty import UncalibratedWarning

    model = bayescnn.models.create("lenet", in_channels=1, image_size=28)
    inputs = torch.randn(3, 1, 28, 28)
    with pytest.warns(UncalibratedWarning, match="never calibrated"):
        bayescnn.predict(model, inputs, samples=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UncalibratedWarning)
        bayescnn.predict(model, inputs, samples=2, calibrated=False)  # asked for raw
        bayescnn.calibration.set_temperature(model, 1.0)  # calibrated (or declined: T = 1 kept)
        bayescnn.predict(model, inputs, samples=2)
        plain = bayescnn.models.create("lenet", bayesian=False, in_channels=1, image_size=28)
        bayescnn.predict(plain, inputs, samples=2)


def test_a_declined_fit_keeps_t_1_and_says_why_in_one_line():
    from bayescnn.calibration import CalibrationDeclinedWarning, calibrate_logits

    model = bayescnn.models.create("lenet", in_channels=1, image_size=28)
    logits = 4 * torch.randn(58, 10) + 0.01 * torch.randn(5, 58, 10)
    labels = logits.softmax(-1).mean(0).argmax(-1)  # every held-out example right
    with pytest.warns(CalibrationDeclinedWarning, match="58 held-out examples, 0 misclassified"):
        fit = calibrate_logits(model, logits, labels)
    assert fit.temperature == 1.0 and bayescnn.calibration.temperature_of(model) == 1.0
    assert fit.errors == 0 and "perfectly separated" in fit.declined
    assert fit.summary().startswith("kept T = 1 (pooled): 58 held-out examples")
    assert "\n" not in fit.summary()


def test_an_nll_is_never_printed_as_minus_zero():
    from bayescnn.calibration import TemperatureFit

    fit = TemperatureFit(0.5, -0.0, -1e-12, 100, 4)
    assert "-0.0000" not in fit.summary() and "0.0000 -> 0.0000" in fit.summary()
