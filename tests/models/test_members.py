"""``models.create(..., members=K)``: K members of a zoo architecture packed in one
network, each an independent copy of the architecture."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import bayescnn
from bayescnn import defaults
from bayescnn.errors import InvalidArgumentError

K = 3


def _single_like_a_member() -> nn.Module:
    """One LeNet with a member's posterior: every layer Bayesian, at the members' rho scale."""
    return bayescnn.models.create(
        "lenet", bayesian_layers="all", rho_scale=defaults.MEMBERS_RHO_SCALE
    )


def _member_state(packed: nn.Module, single: nn.Module, k: int) -> dict[str, torch.Tensor]:
    """Member ``k``'s slice of every packed tensor, under the single network's names."""
    packed_state = packed.state_dict()
    state = {}
    for name, target in single.state_dict().items():
        value = packed_state[f"body.{name}"]
        if value.shape != target.shape:
            value = value.reshape(K, -1)[k].reshape(target.shape)
        state[name] = value
    return state


@pytest.mark.parametrize("name", ["lenet", "alexnet", "3conv3fc"])
@pytest.mark.parametrize("bayesian", [True, False])
def test_a_members_network_returns_one_row_block_per_member(name, bayesian):
    model = bayescnn.models.create(name, bayesian=bayesian, members=K)
    assert model(torch.randn(2, 1, 32, 32)).shape == (K, 2, 10)
    assert bayescnn.nn.members_of(model) == K


def test_member_k_of_a_plain_packed_lenet_is_a_lenet_with_member_ks_weights():
    torch.manual_seed(0)
    packed = bayescnn.models.create("lenet", bayesian=False, members=K).double()
    single = bayescnn.models.create("lenet", bayesian=False).double()
    x = torch.randn(4, 1, 32, 32, dtype=torch.float64)
    for k in range(K):
        single.load_state_dict(_member_state(packed, single, k))
        torch.testing.assert_close(packed(x)[k], single(x), rtol=1e-12, atol=1e-12)


def test_member_k_of_a_bayesian_packed_lenet_has_member_ks_posterior_mean_network():
    torch.manual_seed(0)
    packed = bayescnn.models.create("lenet", members=K).double()
    single = _single_like_a_member().double()
    x = torch.randn(4, 1, 32, 32, dtype=torch.float64)
    with bayescnn.posterior_mean(packed), bayescnn.posterior_mean(single):
        for k in range(K):
            single.load_state_dict(_member_state(packed, single, k))
            torch.testing.assert_close(packed(x)[k], single(x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("bayesian", "estimator"), [(True, "bbb"), (True, "lrt"), (True, "flipout"), (False, "bbb")]
)
def test_a_members_logits_depend_on_its_own_parameters_only(bayesian, estimator):
    torch.manual_seed(0)
    model = bayescnn.models.create("lenet", bayesian=bayesian, estimator=estimator, members=2)
    model(torch.randn(3, 1, 32, 32))[0].sum().backward()
    for name, parameter in model.named_parameters():
        blocks = parameter.grad.reshape(2, -1)
        assert blocks[0].abs().sum() > 0, name
        assert torch.equal(blocks[1], torch.zeros_like(blocks[1])), name


def test_the_kl_is_the_mean_of_the_members_kls():
    torch.manual_seed(0)
    packed = bayescnn.models.create("lenet", members=K)
    single = _single_like_a_member()
    member_kls = []
    for k in range(K):
        single.load_state_dict(_member_state(packed, single, k))
        member_kls.append(bayescnn.kl_divergence(single))
    torch.testing.assert_close(bayescnn.kl_divergence(packed), torch.stack(member_kls).mean())


def test_predict_draws_s_samples_of_every_member():
    model = bayescnn.models.create("lenet", members=K)
    prediction = bayescnn.predict(model, torch.randn(4, 1, 32, 32), samples=5)
    assert prediction.samples == 5 * K


def test_the_posterior_mean_of_a_members_network_is_one_sample_per_member():
    model = bayescnn.models.create("lenet", members=K)
    prediction = bayescnn.predict(model, torch.randn(4, 1, 32, 32), posterior_mean=True)
    assert prediction.samples == K


def test_a_packed_deep_ensemble_of_plain_twins_gives_one_sample_per_member():
    model = bayescnn.models.create("lenet", bayesian=False, members=K)
    assert bayescnn.predict(model, torch.randn(4, 1, 32, 32), samples=5).samples == K


def test_mc_dropout_members_draw_s_samples_each():
    model = bayescnn.models.create("lenet", bayesian=False, members=K, dropout=0.25)
    assert bayescnn.predict(model, torch.randn(4, 1, 32, 32), samples=5).samples == 5 * K


def test_member_width_scales_hidden_widths_not_inputs_nor_classes():
    model = bayescnn.models.create("lenet", members=2, member_width=0.5, in_channels=3)
    body = model.body
    assert body.conv1.in_channels == 2 * 3 and body.conv1.out_channels == 2 * 3
    assert (body.fc2.in_features, body.fc2.out_features) == (60, 42)
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 2, 10)


def test_member_width_alone_narrows_a_single_network():
    narrow = bayescnn.models.create("lenet", bayesian=False, member_width=0.5)
    assert narrow.conv1.out_channels == 3 and narrow.fc1.out_features == 60


def test_one_member_builds_the_usual_network():
    model = bayescnn.models.create("lenet", members=1)
    assert isinstance(model, nn.Sequential) and type(model.fc1) is bayescnn.nn.Linear


@pytest.mark.parametrize("name", ["resnet18"])
def test_an_architecture_that_cannot_be_packed_is_refused_naming_those_that_can(name):
    with pytest.raises(InvalidArgumentError, match="3conv3fc, alexnet, lenet"):
        bayescnn.models.create(name, members=2)


def test_a_partly_bayesian_members_network_is_refused():
    with pytest.raises(InvalidArgumentError, match="bayesian_layers"):
        bayescnn.models.create("lenet", members=2, bayesian_layers="fc*")


@pytest.mark.parametrize("members", [0, 1.5])
def test_members_must_be_a_positive_integer(members):
    with pytest.raises(InvalidArgumentError, match="members must be an integer"):
        bayescnn.models.create("lenet", members=members)


def test_member_width_must_be_positive():
    with pytest.raises(InvalidArgumentError, match="member_width"):
        bayescnn.models.create("lenet", members=2, member_width=0)


def test_a_members_network_runs_images_channels_last_on_the_cpu_with_the_same_values():
    """The layout is a speed choice only (oneDNN's grouped convolutions): the output and
    every gradient equal those of the body run on the contiguous input."""
    torch.manual_seed(0)
    model = bayescnn.models.create("lenet", members=K).double()
    seen = []
    model.body.conv1.register_forward_pre_hook(lambda _, args: seen.append(args[0]))
    x = torch.randn(4, 1, 32, 32, dtype=torch.float64)
    means = [p for name, p in model.named_parameters() if "rho" not in name]
    with bayescnn.posterior_mean(model):
        packed = model(x)
        grads = torch.autograd.grad(packed.square().sum(), means)
        body = model.body(x.repeat(1, K, 1, 1))
        contiguous = body.reshape(4, K, -1).transpose(0, 1)
        expected = torch.autograd.grad(contiguous.square().sum(), means)
    assert seen[0].is_contiguous(memory_format=torch.channels_last)
    assert seen[1].is_contiguous() and not seen[1].is_contiguous(memory_format=torch.channels_last)
    model.memory_format = torch.contiguous_format  # the user's choice wins over the device's
    with bayescnn.posterior_mean(model):
        model(x)
    assert seen[2].is_contiguous() and not seen[2].is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(packed, contiguous, rtol=1e-12, atol=1e-12)
    for got, want in zip(grads, expected, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)
