"""The member axis: a network with ``members = K`` returns ``(K, B, C)`` logits, and every
member is a sample of the predictive (sample_forward, predict, calibrate, the ELBO)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import bayescnn
from bayescnn import nn as bnn
from bayescnn.errors import InvalidArgumentError, InvalidTypeError

MEMBERS, CLASSES, FEATURES = 3, 4, 5


class _Packed(nn.Module):
    """K members as one layer; member k's logits are offset by ``1000 * k`` so that a
    sample's member can be read from its mean."""

    def __init__(self, bayesian: bool = True, members: int = MEMBERS) -> None:
        super().__init__()
        self.members = members
        layer = bnn.Linear if bayesian else nn.Linear
        self.body = layer(FEATURES, members * CLASSES)
        self.register_buffer("offset", 1000.0 * torch.arange(members).view(members, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.body(x)
        return out.reshape(out.shape[0], self.members, CLASSES).transpose(0, 1) + self.offset


def _member_of_each_sample(samples: torch.Tensor) -> list[int]:
    return [round(m) for m in (samples.mean((1, 2)) / 1000).tolist()]


def test_members_of_a_network_without_the_attribute_is_one():
    assert bnn.members_of(nn.Linear(2, 2)) == 1


def test_members_of_reads_the_integer_attribute():
    assert bnn.members_of(_Packed()) == MEMBERS


def test_members_of_looks_through_data_parallel():
    assert bnn.members_of(nn.DataParallel(_Packed())) == MEMBERS


def test_members_of_an_ensemble_is_one_its_members_are_separate_networks():
    ensemble = bayescnn.Ensemble([nn.Linear(2, 2), nn.Linear(2, 2)])
    assert bnn.members_of(ensemble) == 1


@pytest.mark.parametrize(("value", "error"), [(0, InvalidArgumentError), ("3", InvalidTypeError)])
def test_a_bad_members_attribute_is_an_error(value, error):
    model = _Packed()
    model.members = value
    with pytest.raises(error, match="members"):
        bnn.members_of(model)


@pytest.mark.parametrize("chunk_size", [None, 1, 2])
def test_sample_forward_gives_s_times_k_samples_sample_major_then_member(chunk_size):
    torch.manual_seed(0)
    samples = bayescnn.sample_forward(_Packed(), torch.randn(2, FEATURES), 3, chunk_size=chunk_size)
    assert samples.shape == (3 * MEMBERS, 2, CLASSES)
    assert _member_of_each_sample(samples) == [0, 1, 2] * 3


def test_each_sample_of_a_member_has_its_own_weight_draw():
    torch.manual_seed(0)
    samples = bayescnn.sample_forward(_Packed(), torch.randn(2, FEATURES), 2)
    assert not torch.equal(samples[0], samples[MEMBERS])


def test_the_samples_of_the_posterior_mean_are_the_members_rows_of_one_forward():
    model, x = _Packed(), torch.randn(2, FEATURES)
    with bayescnn.posterior_mean(model):
        samples = bayescnn.sample_forward(model, x, 2)
        expected = model(x)
    torch.testing.assert_close(samples, torch.cat([expected, expected]))


def test_a_plain_members_network_gives_one_sample_per_member():
    model, x = _Packed(bayesian=False), torch.randn(2, FEATURES)
    torch.testing.assert_close(bayescnn.sample_forward(model, x, 1), model(x))


@pytest.mark.parametrize("chunk_size", [None, 2])
def test_s_samples_of_a_plain_members_network_repeat_its_members_in_order(chunk_size):
    model, x = _Packed(bayesian=False), torch.randn(2, FEATURES)
    samples = bayescnn.sample_forward(model, x, 3, chunk_size=chunk_size)
    torch.testing.assert_close(samples, torch.cat([model(x)] * 3))


def test_a_members_network_without_a_member_axis_is_an_error():
    model = _Packed()
    model.forward = lambda x: torch.zeros(x.shape[0], CLASSES)  # (B, C): no member axis
    with pytest.raises(InvalidArgumentError, match="members=3 must return"):
        bayescnn.sample_forward(model, torch.randn(2, FEATURES), 2)


def test_predict_averages_s_times_k_samples():
    torch.manual_seed(0)
    prediction = bayescnn.predict(_Packed(), torch.randn(6, FEATURES), samples=4)
    assert prediction.samples == 4 * MEMBERS


def test_predict_on_a_plain_members_network_gives_k_samples():
    prediction = bayescnn.predict(_Packed(bayesian=False), torch.randn(6, FEATURES), samples=4)
    assert prediction.samples == MEMBERS


def test_predict_of_the_posterior_mean_gives_each_members_mean_network():
    prediction = bayescnn.predict(
        _Packed(), torch.randn(6, FEATURES), samples=4, posterior_mean=True
    )
    assert prediction.samples == MEMBERS


def test_the_predictive_is_the_mean_of_the_members_probabilities():
    model, x = _Packed(bayesian=False), torch.randn(6, FEATURES)
    expected = model(x).softmax(-1).mean(0)
    torch.testing.assert_close(bayescnn.predict(model, x, scores="none").probs, expected)


def test_calibrate_fits_one_temperature_to_the_members_pooled_samples():
    torch.manual_seed(0)
    x, y = torch.randn(64, FEATURES), torch.randint(0, CLASSES, (64,))
    model = _Packed(bayesian=False)
    model.offset.zero_()
    fit = bayescnn.calibrate(model, [(x, y)], samples=2)
    assert fit.temperature > 0 and bayescnn.calibration.temperature_of(model) == pytest.approx(
        fit.temperature
    )


def test_the_elbo_nll_is_the_mean_over_members():
    model, x, y = _Packed(bayesian=False), torch.randn(6, FEATURES), torch.randint(0, 4, (6,))
    model.offset.zero_()
    logits = model(x)
    expected = torch.stack([F.cross_entropy(logits[k], y) for k in range(MEMBERS)]).mean()
    torch.testing.assert_close(bayescnn.ELBO(num_train=10)(model, x, y).nll, expected)


def test_the_elbo_with_s_train_samples_scores_s_times_k_samples():
    torch.manual_seed(0)
    x, y = torch.randn(6, FEATURES), torch.randint(0, 4, (6,))
    terms = bayescnn.ELBO(num_train=10, train_samples=2)(_Packed(), x, y)
    assert terms.logits.shape == (2 * MEMBERS, 6, CLASSES)
