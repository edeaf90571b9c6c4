"""Packed layers: K members' linear and convolutional layers as one grouped layer, each
member with its own posterior, the KL the mean over members."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

import bayescnn
from bayescnn import nn as bnn
from bayescnn.errors import InvalidArgumentError, InvalidTypeError

K, IN, OUT = 3, 5, 4


def _packed_and_separate(bias: bool = True) -> tuple[bnn.PackedLinear, list[bnn.Linear]]:
    """A PackedLinear and K separate Linear layers holding the same posterior slices."""
    torch.manual_seed(0)
    packed = bnn.PackedLinear(K, IN, OUT, bias=bias, posterior_rho_init=(-3.0, 0.5))
    separate = [bnn.Linear(IN, OUT, bias=bias) for _ in range(K)]
    with torch.no_grad():
        for k, layer in enumerate(separate):
            layer.weight_mu.copy_(packed.weight_mu[k])
            layer.weight_rho.copy_(packed.weight_rho[k])
            if bias:
                layer.bias_mu.copy_(packed.bias_mu[k * OUT : (k + 1) * OUT])
                layer.bias_rho.copy_(packed.bias_rho[k * OUT : (k + 1) * OUT])
    return packed, separate


def test_the_posterior_mean_forward_equals_k_separate_linear_layers():
    packed, separate = _packed_and_separate()
    x = torch.randn(6, K * IN)
    with bayescnn.posterior_mean(packed):
        out = packed(x)
    expected = torch.cat(
        [layer.functional_op(chunk, layer.weight_mu, layer.bias_mu) for layer, chunk in
         zip(separate, x.split(IN, dim=-1), strict=True)],
        dim=-1,
    )  # fmt: skip
    torch.testing.assert_close(out, expected)


def test_the_kl_is_the_mean_of_the_members_kls():
    packed, separate = _packed_and_separate()
    expected = torch.stack([layer.kl() for layer in separate]).sum() / K
    torch.testing.assert_close(packed.kl(), expected)


def test_kl_divergence_of_a_network_counts_the_packed_layers_mean():
    packed, separate = _packed_and_separate()
    model = nn.Sequential(packed, nn.ReLU(), bnn.Linear(K * OUT, 2))
    expected = torch.stack([layer.kl() for layer in separate]).sum() / K + model[2].kl()
    torch.testing.assert_close(bayescnn.kl_divergence(model), expected)


def test_the_packed_conv_kl_is_the_mean_over_members():
    torch.manual_seed(0)
    conv = bnn.PackedConv2d(K, 2, 4, 3)
    plain_sum = conv.prior.kl(conv.weight_mu, conv.weight_sigma) + conv.prior.kl(
        conv.bias_mu, conv.bias_sigma
    )
    torch.testing.assert_close(conv.kl(), plain_sum / K)


def test_the_packed_conv_is_one_grouped_convolution_of_k_members():
    conv = bnn.PackedConv2d(K, 2, 4, 3, groups=2)
    assert (conv.in_channels, conv.out_channels, conv.groups) == (K * 2, K * 4, K * 2)


def test_packed_convs_take_torchs_positional_arguments_including_groups():
    # (in, out, kernel_size, stride, padding, dilation, groups, bias): Conv2d's order
    conv = bnn.PackedConv2d(K, 2, 4, 3, 1, 1, 1, 2, False)
    plain = bnn.packed_conv2d(K, 2, 4, 3, 1, 1, 1, 2, False)
    for layer in (conv, plain):
        assert (layer.in_channels, layer.out_channels, layer.groups) == (K * 2, K * 4, K * 2)
        assert (layer.kernel_size, layer.padding) == ((3, 3), (1, 1))
    assert conv.bias_mu is None and plain.bias is None


@pytest.mark.parametrize("estimator", ["bbb", "lrt", "flipout"])
@pytest.mark.parametrize("tiled", [False, True])
def test_many_weight_sets_equal_one_op_per_set(estimator, tiled):
    torch.manual_seed(0)
    layer = bnn.PackedLinear(K, IN, OUT, estimator=estimator)
    samples, rows = 2, 3
    x = torch.randn(samples * rows if tiled else rows, K * IN)
    weights, biases = layer.posterior().draw(samples)
    blocks = x.split(rows) if tiled else [x] * samples
    expected = torch.cat(
        [layer.functional_op(block, weights[s], biases[s]) for s, block in enumerate(blocks)]
    )
    torch.testing.assert_close(layer.functional_op_many(x, weights, biases, tiled), expected)


@pytest.mark.parametrize("estimator", ["bbb", "lrt", "flipout"])
def test_every_estimator_samples_s_draws_in_one_pass(estimator):
    layer = bnn.PackedLinear(K, IN, OUT, estimator=estimator)
    samples = bayescnn.sample_forward(layer, torch.randn(4, K * IN), 5)
    assert samples.shape == (5, 4, K * OUT) and not torch.equal(samples[0], samples[1])


def test_each_member_block_is_initialised_with_its_own_fan_in():
    torch.manual_seed(0)
    layer = bnn.PackedLinear(K, 400, 120)
    assert layer.weight_mu.abs().max() <= 1 / math.sqrt(400)
    assert layer.weight_mu.abs().max() > 0.9 / math.sqrt(400)


def test_the_plain_packed_linear_equals_k_nn_linear_layers():
    torch.manual_seed(0)
    packed = bnn.PlainPackedLinear(K, IN, OUT)
    x = torch.randn(6, K * IN)
    expected = torch.cat(
        [torch.nn.functional.linear(chunk, packed.weight[k], packed.bias[k * OUT : (k + 1) * OUT])
         for k, chunk in enumerate(x.split(IN, dim=-1))],
        dim=-1,
    )  # fmt: skip
    torch.testing.assert_close(packed(x), expected)


def test_the_packed_ensemble_returns_a_member_axis():
    body = nn.Sequential(nn.Flatten(), bnn.PlainPackedLinear(K, IN, OUT))
    model = bnn.PackedEnsemble(body, K)
    assert model(torch.randn(6, IN)).shape == (K, 6, OUT) and bnn.members_of(model) == K


@pytest.mark.parametrize("members", [0, 2.0, True])
def test_members_must_be_a_positive_integer(members):
    with pytest.raises(InvalidArgumentError, match="members must be an integer"):
        bnn.PackedLinear(members, IN, OUT)


def test_to_bayesian_refuses_packed_members_naming_the_way_to_build_them():
    plain = bayescnn.models.create("lenet", bayesian=False, members=2)
    with pytest.raises(InvalidTypeError, match=r"create\(\.\.\., members=K\)"):
        bayescnn.to_bayesian(plain)
