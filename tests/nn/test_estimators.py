"""The three estimators agree in distribution, and the mean mode is the plain op."""

import math

import pytest
import torch
import torch.nn.functional as F

import bayescnn
from bayescnn import nn as bnn
from bayescnn.nn.estimators import lrt_variance

ESTIMATORS = ["bbb", "lrt", "flipout"]
SAMPLES = 20_000


def _analytic_moments(layer, x, op):
    mean = op(x, layer.weight_mu, layer.bias_mu)
    var = op(x.square(), layer.weight_sigma.square(), layer.bias_sigma.square())
    return mean, var


def _assert_moments(samples, mean, var):
    """Sample mean within 5 standard errors; sample variance within 5 of its standard errors."""
    n = samples.shape[0]
    assert torch.all((samples.mean(0) - mean).abs() < 5 * torch.sqrt(var / n))
    assert torch.all((samples.var(0) - var).abs() < 5 * var * math.sqrt(2 / (n - 1)))


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_linear_output_mean_and_variance_match_the_analytic_moments(estimator, varied_posterior):
    layer = bnn.Linear(5, 3, estimator=estimator, dtype=torch.float64)
    varied_posterior(layer)
    x = torch.randn(4, 5, dtype=torch.float64)
    with torch.no_grad():
        samples = bayescnn.sample_forward(layer, x, SAMPLES)
        mean, var = _analytic_moments(layer, x, F.linear)
    _assert_moments(samples, mean, var)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_conv2d_output_mean_and_variance_match_the_analytic_moments(estimator, varied_posterior):
    layer = bnn.Conv2d(2, 3, 3, padding=1, estimator=estimator, dtype=torch.float64)
    varied_posterior(layer)
    x = torch.randn(2, 2, 4, 4, dtype=torch.float64)
    op = lambda x, w, b: F.conv2d(x, w, b, padding=1)  # noqa: E731
    with torch.no_grad():
        samples = bayescnn.sample_forward(layer, x, SAMPLES)
        mean, var = _analytic_moments(layer, x, op)
    _assert_moments(samples, mean, var)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_a_loop_of_single_passes_has_the_same_moments_as_the_vectorised_pass(
    estimator, varied_posterior
):
    layer = bnn.Linear(5, 2, estimator=estimator, dtype=torch.float64)
    varied_posterior(layer)
    x = torch.randn(3, 5, dtype=torch.float64)
    with torch.no_grad():
        loop = torch.stack([layer(x) for _ in range(4000)])
        mean, var = _analytic_moments(layer, x, F.linear)
    _assert_moments(loop, mean, var)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_posterior_mean_mode_equals_the_plain_op_with_weight_mu(estimator):
    layer = bnn.Conv2d(3, 4, (3, 2), stride=2, estimator=estimator)
    x = torch.randn(2, 3, 9, 9)
    with bayescnn.posterior_mean(layer):
        out = layer(x)
    torch.testing.assert_close(out, F.conv2d(x, layer.weight_mu, layer.bias_mu, stride=2))
    assert layer.sample, "the context restores sampling"


def test_set_posterior_mean_switches_without_a_context_and_ignores_train_eval():
    layer = bnn.Linear(4, 2)
    x = torch.randn(3, 4)
    layer.eval()
    assert not torch.equal(layer(x), layer(x)), "layers sample in eval mode too"
    bayescnn.set_posterior_mean(layer)
    layer.train()
    torch.testing.assert_close(layer(x), F.linear(x, layer.weight_mu, layer.bias_mu))
    bayescnn.set_posterior_mean(layer, False)
    assert not torch.equal(layer(x), layer(x))


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize(
    "make", [lambda e: bnn.Linear(4, 3, estimator=e), lambda e: bnn.Conv1d(4, 3, 3, estimator=e)]
)
def test_gradients_reach_mu_and_rho_of_weight_and_bias(estimator, make):
    layer = make(estimator)
    x = torch.randn(6, 4) if isinstance(layer, bnn.Linear) else torch.randn(6, 4, 7)
    (layer(x).square().sum() + layer.kl()).backward()
    for name in ["weight_mu", "weight_rho", "bias_mu", "bias_rho"]:
        grad = getattr(layer, name).grad
        assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0, name


def test_flipout_and_lrt_noise_differ_across_examples_while_bbb_shares_one_draw():
    x = torch.randn(1, 6).expand(8, 6)
    outputs = {e: bnn.Linear(6, 3, estimator=e)(x) for e in ESTIMATORS}
    for estimator in ["flipout", "lrt"]:
        assert not torch.allclose(outputs[estimator][0], outputs[estimator][1]), estimator
    torch.testing.assert_close(outputs["bbb"], outputs["bbb"][:1].expand(8, 3))


def test_unknown_estimator_is_a_value_error_listing_the_choices():
    with pytest.raises(ValueError, match="'bbb', 'lrt', 'flipout'"):
        bnn.Linear(2, 2, estimator="bayes")


def test_under_bfloat16_autocast_the_lrt_variance_path_stays_in_float32():
    layer = bnn.Linear(8, 4, estimator="lrt")
    with torch.no_grad():
        layer.weight_rho.fill_(-12.0)  # sigma ~ 6e-6: its square underflows in bfloat16
    x = torch.randn(3, 8)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        var = lrt_variance(layer.functional_op, x, layer.posterior())
        out = layer(x)
    assert var.dtype == torch.float32
    expected = F.linear(x.square(), layer.weight_sigma.square(), layer.bias_sigma.square())
    torch.testing.assert_close(var, expected)
    assert torch.isfinite(out).all()


def _composite_gaussian_sample(mean, var, num_samples=None):
    """The reference: clamp, sqrt, randn and addcmul as separate autograd ops."""
    std = var.clamp_min(torch.finfo(var.dtype).tiny).sqrt()
    shape = mean.shape if num_samples is None else (num_samples, *mean.shape)
    return torch.addcmul(mean, std, torch.randn(shape, dtype=mean.dtype))


@pytest.mark.parametrize("num_samples", [None, 3], ids=["one draw", "3 draws broadcast"])
def test_the_fused_gaussian_sample_equals_the_composite_ops_in_value_and_gradient(num_samples):
    from bayescnn.nn.estimators import sample_gaussian

    mean = torch.randn(4, 5, dtype=torch.float64, requires_grad=True)
    var = torch.rand(4, 5, dtype=torch.float64)
    var[0, :2] = 0.0  # clamped units: no gradient to var
    var.requires_grad_(True)
    weight = torch.randn((num_samples or 1) * 4, 5, dtype=torch.float64)
    results = []
    for sample in (sample_gaussian, _composite_gaussian_sample):
        torch.manual_seed(7)
        out = sample(mean, var, num_samples)
        loss = (out.reshape(-1, 5) * weight).sum()
        results.append((out, *torch.autograd.grad(loss, (mean, var))))
    for got, expected in zip(*results, strict=True):
        torch.testing.assert_close(got, expected)
    assert torch.all(results[0][2][0, :2] == 0)


def test_a_second_derivative_through_the_lrt_draw_raises_instead_of_being_wrong():
    from bayescnn.nn.estimators import sample_gaussian

    mean = torch.randn(3, requires_grad=True)
    var = torch.rand(3, requires_grad=True)
    out = sample_gaussian(mean, var)
    (grad_var,) = torch.autograd.grad((out * mean).sum(), var, create_graph=True)
    with pytest.raises(RuntimeError):
        grad_var.sum().backward()
