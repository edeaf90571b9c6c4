"""Rank-1 mixture layers (Dusenberry et al. 2020): member k's weight is W * (s_k r_k^T)."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import bayescnn
from bayescnn import nn as bnn
from bayescnn.errors import InvalidArgumentError
from bayescnn.nn.layer import inverse_softplus
from bayescnn.priors import GaussianPrior
from bayescnn.train.step import parameter_groups

K = 3
B = 4

# (layer, its plain functional op, one input row's shape, how r/s broadcast over a weight)
CASES = {
    "linear": (lambda: bnn.Rank1Linear(5, 6, members=K), F.linear, (5,)),
    "conv1d": (lambda: bnn.Rank1Conv1d(2, 3, 3, padding=1, members=K), F.conv1d, (2, 7)),
    "conv2d": (lambda: bnn.Rank1Conv2d(2, 3, 3, stride=2, members=K), F.conv2d, (2, 7, 7)),
    "conv3d": (lambda: bnn.Rank1Conv3d(2, 3, 2, members=K), F.conv3d, (2, 4, 4, 4)),
}


def _layer(case, dtype=torch.float32):
    torch.manual_seed(0)
    return CASES[case][0]().to(dtype)


def _input(case, rows=K * B, dtype=torch.float32):
    return torch.randn(rows, *CASES[case][2], dtype=dtype)


def _member_weight(layer, k):
    """W * (s_k r_k^T), with r over the weight's second axis and s over its first."""
    w = layer.weight
    extra = (1,) * (w.dim() - 2)
    return w * layer.s_mu[k].view(-1, 1, *extra) * layer.r_mu[k].view(1, -1, *extra)


def _plain_op(case, layer):
    op = CASES[case][1]
    if case == "linear":
        return op
    conv = layer.shared
    return lambda x, w, b: op(x, w, b, conv.stride, conv.padding, conv.dilation, conv.groups)


@pytest.mark.parametrize("case", CASES)
def test_a_rank1_layer_keeps_the_rows_and_maps_the_features(case):
    layer = _layer(case)
    x = _input(case)
    plain = _plain_op(case, layer)(x, layer.weight, None)
    assert layer(x).shape == plain.shape


@pytest.mark.parametrize("case", CASES)
def test_the_posterior_mean_of_member_k_is_the_plain_op_with_w_times_s_k_r_k(case):
    layer = _layer(case, torch.float64)
    x = _input(case, dtype=torch.float64)
    with bayescnn.posterior_mean(layer):
        out = layer(x)
    op = _plain_op(case, layer)
    for k in range(K):
        rows = slice(k * B, (k + 1) * B)
        expected = op(x[rows], _member_weight(layer, k), layer.bias[k])
        torch.testing.assert_close(out[rows], expected, rtol=1e-12, atol=1e-12)


def test_without_bias_the_mean_is_the_op_with_the_member_weight_alone():
    torch.manual_seed(0)
    layer = bnn.Rank1Linear(5, 6, bias=False, members=K).double()
    x = torch.randn(K * B, 5, dtype=torch.float64)
    with bayescnn.posterior_mean(layer):
        out = layer(x)
    for k in range(K):
        rows = slice(k * B, (k + 1) * B)
        torch.testing.assert_close(out[rows], F.linear(x[rows], _member_weight(layer, k)))


def test_a_member_s_output_depends_on_its_own_factors_and_bias_only():
    layer = _layer("conv2d")
    out = layer(_input("conv2d"))
    params = [layer.r_mu, layer.r_rho, layer.s_mu, layer.s_rho, layer.bias]
    grads = torch.autograd.grad(out[:B].sum(), params)
    for grad in grads:
        assert grad[1:].abs().max() == 0  # members 1.. untouched by member 0's rows
        assert grad[0].abs().max() > 0


def test_every_row_draws_its_own_factors_and_the_mean_mode_none():
    layer = _layer("linear")
    x = torch.randn(1, 5).expand(K * B, 5)  # one input, in every row
    out = layer(x)
    assert not torch.allclose(out[0], out[1])  # same member, same input: other draws
    with bayescnn.posterior_mean(layer):
        mean = layer(x)
    torch.testing.assert_close(mean[0], mean[1])


def test_gradients_reach_the_shared_weight_and_both_factors_mu_and_rho():
    layer = _layer("conv2d")
    layer(_input("conv2d")).square().sum().backward()
    for param in (layer.weight, layer.r_mu, layer.r_rho, layer.s_mu, layer.s_rho, layer.bias):
        assert param.grad is not None and param.grad.abs().max() > 0


def test_the_factors_start_near_one_with_small_sigma_under_an_n_1_0_1_prior():
    torch.manual_seed(0)
    layer = bnn.Rank1Linear(400, 300, members=4)
    factors = torch.cat([layer.r_mu.flatten(), layer.s_mu.flatten()])
    assert factors.mean().item() == pytest.approx(1.0, abs=0.05)
    assert factors.std().item() == pytest.approx(0.5, abs=0.05)
    sigma = F.softplus(torch.cat([layer.r_rho.flatten(), layer.s_rho.flatten()]))
    assert sigma.max().item() < 0.01
    assert (layer.prior.mu.item(), layer.prior.sigma.item()) == pytest.approx((1.0, 0.1))


def test_the_kl_is_the_mean_over_members_of_a_monte_carlo_kl_of_their_factors():
    torch.manual_seed(0)
    prior = GaussianPrior(1.0, 0.3)
    layer = bnn.Rank1Linear(3, 2, members=2, prior=prior).double()
    with torch.no_grad():
        for rho in (layer.r_rho, layer.s_rho):  # sigmas near the prior's: a fair MC test
            rho.copy_(inverse_softplus(torch.rand_like(rho) * 0.3 + 0.1))
    mu = torch.cat([layer.r_mu, layer.s_mu], dim=1)
    sigma = F.softplus(torch.cat([layer.r_rho, layer.s_rho], dim=1))
    q = torch.distributions.Normal(mu, sigma)
    p = torch.distributions.Normal(torch.tensor(1.0).double(), torch.tensor(0.3).double())
    draws = q.sample((400_000,))
    per_member = (q.log_prob(draws) - p.log_prob(draws)).sum(-1).mean(0)  # (K,)
    assert layer.kl().item() == pytest.approx(per_member.mean().item(), rel=5e-3)


def test_kl_divergence_sums_rank1_and_mean_field_layers():
    torch.manual_seed(0)
    model = nn.Sequential(
        bnn.Rank1Conv2d(1, 2, 3, members=K),
        nn.Flatten(),
        bnn.Rank1Linear(2 * 3 * 3, 4, members=K),
        bnn.Linear(4, 2),
    )
    expected = model[0].kl() + model[2].kl() + model[3].kl()
    torch.testing.assert_close(bayescnn.kl_divergence(model), expected)


def test_rows_that_are_not_k_blocks_are_refused_naming_the_fix():
    with pytest.raises(InvalidArgumentError, match="Rank1Network"):
        _layer("linear")(torch.randn(K * B + 1, 5))


def _network(members=K):
    torch.manual_seed(0)
    return bnn.Rank1Network(
        nn.Sequential(
            bnn.Rank1Conv2d(1, 2, 3, members=members),
            nn.ReLU(),
            nn.Flatten(),
            bnn.Rank1Linear(2 * 4 * 4, 5, members=members),
        ),
        members,
    )


def test_a_rank1_network_returns_one_block_of_logits_per_member():
    model = _network()
    assert model.members == K
    assert model(torch.randn(B, 1, 6, 6)).shape == (K, B, 5)


def test_the_members_of_a_rank1_network_are_its_layers_members_on_the_tiled_input():
    model = _network().double()
    x = torch.randn(B, 1, 6, 6, dtype=torch.float64)
    with bayescnn.posterior_mean(model):
        out = model(x)
        direct = model.network(x.repeat(K, 1, 1, 1)).reshape(K, B, 5)
    torch.testing.assert_close(out, direct)
    assert not torch.allclose(out[0], out[1])  # the members differ


def test_a_monte_carlo_pass_gives_every_member_s_independent_samples_sample_major():
    model = _network()
    x = torch.randn(B, 1, 6, 6)
    with bnn.monte_carlo(model, 2, B):
        out = model(x)
    assert out.shape == (K, 2 * B, 5)
    assert not torch.allclose(out[:, :B], out[:, B:])
    with bayescnn.posterior_mean(model), bnn.monte_carlo(model, 2, B):
        mean = model(x)
    torch.testing.assert_close(mean[:, :B], mean[:, B:])


def test_a_rank1_network_refuses_layers_of_another_member_count():
    with pytest.raises(InvalidArgumentError, match="must have 2"):
        bnn.Rank1Network(_network(K).network, 2)


def test_the_factors_rhos_get_the_rho_learning_rate():
    model = _network()
    groups = parameter_groups(model, 1e-3, rho_lr_scale=10.0)
    rho_ids = {id(p) for p in groups[1]["params"]}
    layer = model.network[0]
    assert rho_ids >= {id(layer.r_rho), id(layer.s_rho)}
    assert id(layer.r_mu) not in rho_ids and id(layer.weight) not in rho_ids


def test_to_bayesian_leaves_a_rank1_layer_s_shared_weight_plain():
    model = bayescnn.to_bayesian(nn.Sequential(_network().network, nn.Linear(5, 2)))
    assert isinstance(model[0][0].shared, nn.Conv2d) and isinstance(model[1], bnn.Linear)


def test_one_input_channel_scales_the_output_instead_of_the_input_with_the_same_result():
    torch.manual_seed(0)
    layer = bnn.Rank1Conv2d(1, 4, 3, members=K).double()
    x = torch.randn(K * B, 1, 8, 8, dtype=torch.float64)
    torch.manual_seed(1)
    out = layer(x)  # the shortcut: op(x) r
    torch.manual_seed(1)
    r = layer._factor(layer.r_mu, layer.r_rho, K * B, x.dim())  # the same draws
    s = layer._factor(layer.s_mu, layer.s_rho, K * B, 4)
    bias = layer._per_row(layer.bias, K * B, 4)
    torch.testing.assert_close(out, layer.shared(x * r) * s + bias, rtol=1e-12, atol=1e-12)
    with bayescnn.posterior_mean(layer):
        mean = layer(x)
    for k in range(K):
        rows = slice(k * B, (k + 1) * B)
        expected = F.conv2d(x[rows], _member_weight(layer, k), layer.bias[k])
        torch.testing.assert_close(mean[rows], expected, rtol=1e-12, atol=1e-12)
