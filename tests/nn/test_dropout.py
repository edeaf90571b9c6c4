"""MC dropout: a sampling module kept on at prediction, vectorised like the Bayesian layers."""

import pytest
import torch
from torch import nn

import bayescnn
from bayescnn.nn import MCDropout


def test_it_drops_in_eval_mode_and_is_unbiased_with_the_bernoulli_variance():
    layer = MCDropout(0.25).eval()
    x = torch.full((200_000,), 2.0)
    out = layer(x)
    assert out.mean().item() == pytest.approx(2.0, rel=0.01)
    assert out.var().item() == pytest.approx(4.0 * 0.25 / 0.75, rel=0.02)  # x^2 p / (1 - p)


def test_the_posterior_mean_network_is_the_identity():
    layer = MCDropout(0.5)
    x = torch.randn(10)
    with bayescnn.posterior_mean(layer):
        assert torch.equal(layer(x), x)


def test_every_sample_of_a_vectorised_pass_gets_its_own_mask():
    model = nn.Sequential(nn.Linear(3, 50), MCDropout(0.5))
    out = bayescnn.sample_forward(model, torch.randn(4, 3), 6, chunk_size=6)
    assert out.shape == (6, 4, 50)
    masks = out == 0
    assert not all(torch.equal(masks[0], masks[s]) for s in range(1, 6))


def test_predict_samples_a_dropout_network_and_reports_epistemic_uncertainty():
    model = bayescnn.models.create("lenet", bayesian=False, dropout=0.25, in_channels=1)
    pred = bayescnn.predict(model, torch.randn(8, 1, 32, 32), samples=10)
    assert pred.samples == 10 and (pred.entropy.epistemic > 0).all()


def test_the_zoos_dropout_goes_before_every_fully_connected_layer():
    model = bayescnn.models.create("lenet", bayesian=False, dropout=0.25)
    assert [name for name, m in model.named_modules() if isinstance(m, MCDropout)] == [
        "fc1.dropout",
        "fc2.dropout",
        "fc3.dropout",
    ]


@pytest.mark.parametrize("p", [-0.1, 1.0])
def test_a_rate_outside_zero_to_one_is_an_error(p):
    with pytest.raises(bayescnn.BayesCNNError, match="dropout rate"):
        bayescnn.models.create("lenet", bayesian=False, dropout=p)
