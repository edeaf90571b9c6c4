"""The model's KL: layers sharing a prior are summed in one fused pass with the same result."""

import pytest
import torch
from torch import nn

import bayescnn
from bayescnn import nn as bnn
from bayescnn.priors import GaussianPrior, ScaleMixturePrior


def _model(prior_a, prior_b=None):
    prior_b = prior_b or prior_a
    torch.manual_seed(0)
    return nn.Sequential(
        bnn.Conv2d(1, 4, 3, prior=prior_a),
        nn.ReLU(),
        bnn.Conv2d(4, 4, 3, bias=False, prior=prior_b),
        nn.Flatten(),
        bnn.Linear(4 * 4 * 4, 3, prior=prior_a),
        bnn.Linear(3, 2, prior=prior_b),
    )


def _layer_by_layer(model):
    return torch.stack([layer.kl() for layer in bnn.bayesian_layers(model)]).sum()


def _gradients(model, kl):
    params = list(model.parameters())
    return torch.autograd.grad(kl, params)


@pytest.mark.parametrize(
    "priors",
    [(GaussianPrior(0, 0.1),), (GaussianPrior(0, 0.1), GaussianPrior(0.2, 1.0))],
    ids=["one prior", "two priors"],
)
def test_the_fused_gaussian_kl_and_its_gradients_equal_the_sum_over_layers(priors):
    model = _model(*priors)
    fused, reference = bayescnn.kl_divergence(model), _layer_by_layer(model)
    torch.testing.assert_close(fused, reference, rtol=1e-5, atol=0)
    for got, expected in zip(_gradients(model, fused), _gradients(model, reference), strict=True):
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-7)


def test_a_prior_changed_in_place_or_by_load_state_dict_is_seen_by_the_next_kl():
    model = _model(GaussianPrior(0, 0.1))
    before = bayescnn.kl_divergence(model)
    state = model.state_dict()
    for name in state:
        if name.endswith("prior.sigma"):
            state[name] = torch.tensor(1.0)
    model.load_state_dict(state)
    torch.testing.assert_close(bayescnn.kl_divergence(model), _layer_by_layer(model))
    assert not torch.allclose(bayescnn.kl_divergence(model), before)
    with torch.no_grad():
        model[0].prior.sigma.fill_(0.5)  # now layer 0 differs from the others
    torch.testing.assert_close(bayescnn.kl_divergence(model), _layer_by_layer(model))


def test_the_fused_scale_mixture_kl_has_the_mean_of_the_layer_by_layer_estimate():
    model = _model(ScaleMixturePrior(0.5, 1.0, 0.01))
    with torch.no_grad():
        fused = torch.stack([bayescnn.kl_divergence(model) for _ in range(400)])
        reference = torch.stack([_layer_by_layer(model) for _ in range(400)])
    standard_error = torch.sqrt((fused.var() + reference.var()) / 400)
    assert (fused.mean() - reference.mean()).abs() < 5 * standard_error


def test_a_layer_that_redefines_its_kl_is_summed_with_its_own_definition():
    class DoubledKL(bnn.Linear):
        def kl(self):
            return 2 * super().kl()

    model = nn.Sequential(bnn.Linear(3, 3), DoubledKL(3, 3), bnn.Linear(3, 2))
    expected = sum(layer.kl() for layer in model)
    torch.testing.assert_close(bayescnn.kl_divergence(model), expected)


def test_a_user_prior_with_hyperparameters_outside_buffers_is_never_fused_with_another():
    class LaplacePrior(bayescnn.Prior):  # its scale is a plain attribute, not a buffer
        def __init__(self, scale):
            super().__init__()
            self.scale = scale

        def log_prob(self, value):
            return -value.abs() / self.scale - torch.log(torch.tensor(2 * self.scale))

    model = _model(LaplacePrior(0.1), LaplacePrior(10.0))
    torch.manual_seed(5)
    fused = bayescnn.kl_divergence(model)
    torch.manual_seed(5)
    torch.testing.assert_close(fused, _layer_by_layer(model))
