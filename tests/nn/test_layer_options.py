"""Layers mirror torch.nn: shapes for every configuration, dtype, devices, state_dict, compile."""

import itertools

import pytest
import torch
from torch import nn

import bayescnn
from bayescnn import nn as bnn
from bayescnn.priors import GaussianPrior, ScaleMixturePrior

CONV_CASES = [
    # (dims, kwargs)
    (1, {"kernel_size": 3}),
    (1, {"kernel_size": 4, "stride": 2, "padding": 1, "dilation": 2}),
    (1, {"kernel_size": 3, "padding": "same", "padding_mode": "circular"}),
    (2, {"kernel_size": (3, 5), "stride": (2, 1), "padding": (1, 2)}),
    (2, {"kernel_size": 4, "padding": "same", "dilation": 2}),
    (2, {"kernel_size": 3, "padding": "valid", "groups": 2}),
    (2, {"kernel_size": 3, "padding": 1, "padding_mode": "reflect", "groups": 4}),
    (2, {"kernel_size": 2, "padding": 1, "padding_mode": "replicate", "bias": False}),
    (3, {"kernel_size": (1, 3, 2), "stride": 2, "padding": 1}),
    (3, {"kernel_size": 3, "padding": "same", "groups": 2}),
]
CONV_CLASSES = {1: (bnn.Conv1d, nn.Conv1d), 2: (bnn.Conv2d, nn.Conv2d), 3: (bnn.Conv3d, nn.Conv3d)}


@pytest.mark.parametrize(("dims", "kwargs"), CONV_CASES)
@pytest.mark.parametrize("estimator", ["bbb", "lrt", "flipout"])
def test_conv_output_shape_equals_torch_for_every_configuration(dims, kwargs, estimator):
    bayes_cls, torch_cls = CONV_CLASSES[dims]
    x = torch.randn(2, 4, *([7] * dims))
    expected = torch_cls(4, 8, **kwargs)(x).shape
    layer = bayes_cls(4, 8, estimator=estimator, **kwargs)
    assert layer(x).shape == expected
    with bayescnn.monte_carlo(layer, 3, 2):
        assert layer(x).shape == (6, *expected[1:])


@pytest.mark.parametrize(("dims", "kwargs"), CONV_CASES)
def test_posterior_mean_conv_equals_torch_conv_with_the_same_weights(dims, kwargs):
    bayes_cls, torch_cls = CONV_CLASSES[dims]
    layer = bayes_cls(4, 8, **kwargs)
    reference = torch_cls(4, 8, **kwargs)
    with torch.no_grad():
        reference.weight.copy_(layer.weight_mu)
        if reference.bias is not None:
            reference.bias.copy_(layer.bias_mu)
    x = torch.randn(2, 4, *([6] * dims))
    with bayescnn.posterior_mean(layer):
        torch.testing.assert_close(layer(x), reference(x))


def test_linear_accepts_extra_leading_dimensions_like_torch():
    layer = bnn.Linear(5, 2, estimator="flipout")
    assert layer(torch.randn(3, 4, 5)).shape == (3, 4, 2)


def test_default_init_matches_torch_scale_and_normal_init_is_available():
    layer = bnn.Linear(400, 120)
    bound = 1 / 400**0.5
    assert layer.weight_mu.abs().max() <= bound + 1e-6
    layer = bnn.Linear(400, 120, posterior_mu_init=(0.0, 0.1), posterior_rho_init=(-5.0, 0.1))
    assert layer.weight_mu.std().item() == pytest.approx(0.1, rel=0.05)
    assert layer.weight_rho_value.mean().item() == pytest.approx(-5.0, abs=0.02)


@pytest.mark.parametrize("rho_init", [(float("nan"), 0.1), (-200.0, 0.1), (-3.0, -1.0), (1.0,)])
def test_a_rho_init_that_breaks_sigma_is_a_value_error_naming_the_argument(rho_init):
    with pytest.raises(ValueError, match="posterior_rho_init"):
        bnn.Linear(3, 2, posterior_rho_init=rho_init)


def test_groups_that_do_not_divide_the_channels_are_a_value_error():
    with pytest.raises(ValueError, match="groups"):
        bnn.Conv2d(4, 6, 3, groups=4)


def test_non_finite_kl_is_a_value_error():
    model = nn.Sequential(bnn.Linear(3, 2))
    with torch.no_grad():
        model[0].weight_mu[0, 0] = float("nan")
    with pytest.raises(ValueError, match="KL divergence"):
        bayescnn.kl_divergence(model)


def test_kl_divergence_sums_the_layers_and_is_zero_for_plain_networks():
    model = nn.Sequential(bnn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), bnn.Linear(2 * 4 * 4, 3))
    total = bayescnn.kl_divergence(model)
    torch.testing.assert_close(total, model[0].kl() + model[3].kl())
    assert bayescnn.kl_divergence(nn.Sequential(nn.Linear(2, 2))).item() == 0


@pytest.mark.parametrize("prior", [GaussianPrior(0.1, 0.5), ScaleMixturePrior(0.3, 1.0, 0.01)])
def test_state_dict_round_trip_restores_parameters_and_prior(prior):
    layer = bnn.Conv2d(2, 3, 3, prior=prior)
    state = layer.state_dict()
    assert {k for k in state if k.startswith("prior.")}, "prior hyperparameters are saved"
    restored = bnn.Conv2d(2, 3, 3, prior=type(prior)())
    restored.load_state_dict(state)
    for key, value in restored.state_dict().items():
        torch.testing.assert_close(value, state[key])


def test_no_weight_sized_buffers_and_nothing_sampled_is_kept_after_forward():
    layer = bnn.Conv2d(3, 4, 3, estimator="bbb")
    before = set(vars(layer))
    layer(torch.randn(2, 3, 8, 8))
    assert set(vars(layer)) == before
    assert all(b.numel() == 1 for b in layer.buffers())


def test_to_dtype_converts_parameters_and_prior_and_the_layer_still_runs():
    layer = bnn.Linear(3, 2, estimator="flipout").to(torch.float64)
    out = layer(torch.randn(4, 3, dtype=torch.float64))
    assert out.dtype == torch.float64 and layer.prior.sigma.dtype == torch.float64
    assert layer.kl().dtype == torch.float64


def test_layers_work_in_sequential_with_batchnorm():
    model = nn.Sequential(
        bnn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten(), bnn.Linear(8 * 6 * 6, 2)
    )
    assert model(torch.randn(4, 3, 8, 8)).shape == (4, 2)


def test_torch_compile_of_a_small_bayesian_model_runs():
    torch._dynamo.reset()
    model = nn.Sequential(
        bnn.Conv2d(1, 4, 3, estimator="flipout"), nn.ReLU(), nn.Flatten(), bnn.Linear(4 * 6 * 6, 3)
    )
    compiled = torch.compile(model, backend="eager")
    x = torch.randn(2, 1, 8, 8)
    with bayescnn.posterior_mean(model):
        torch.testing.assert_close(compiled(x), model(x))
    compiled(x).sum().backward()
    assert model[0].weight_rho.grad is not None


def test_every_estimator_and_layer_type_combination_is_reachable():
    for estimator, cls in itertools.product(
        ["bbb", "lrt", "flipout"], [bnn.Conv1d, bnn.Conv2d, bnn.Conv3d]
    ):
        layer = cls(2, 2, 1, estimator=estimator)
        assert layer.estimator.value == estimator
