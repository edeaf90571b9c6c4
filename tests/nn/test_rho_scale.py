"""The rho scale c: each layer stores rho / c and computes sigma = softplus(c * stored), the
same posterior with c kept in the state dict (old state dicts, without it, load with c = 1)."""

import math
import warnings

import pytest
import torch
from torch import nn

import bayescnn
from bayescnn import defaults
from bayescnn import nn as bnn
from bayescnn.compat.priors_dict import posterior_spec
from bayescnn.errors import InvalidArgumentError
from bayescnn.io import load_model_state
from bayescnn.nn import PosteriorSpec
from bayescnn.nn.layer import RHO_SCALE_BUFFER, rho_scale_keys


def _lenet(rho_scale: float, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return bayescnn.models.create("lenet", rho_scale=rho_scale)


def _sampled_logits(model: nn.Module, seed: int = 1) -> torch.Tensor:
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return model(torch.ones(2, 1, 32, 32)).detach()


def _old_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """``model``'s state dict as the library saved it before the rho scale existed."""
    return {k: v for k, v in model.state_dict().items() if not k.endswith(RHO_SCALE_BUFFER)}


def test_a_spec_leaves_the_scale_unset_and_a_layer_then_takes_the_layers_default():
    assert PosteriorSpec().rho_scale is None
    assert bnn.Linear(3, 2).posterior_rho_scale == defaults.POSTERIOR_RHO_SCALE
    assert bnn.Linear(3, 2, posterior=PosteriorSpec()).posterior_rho_scale == 1.0


def test_a_spec_without_a_scale_given_to_create_keeps_the_models_spread():
    from bayescnn.nn import bayesian_layers

    by_keyword = bayescnn.models.create("lenet", estimator="bbb")
    by_spec = bayescnn.models.create("lenet", posterior=PosteriorSpec("bbb"))
    scales = [[layer.posterior_rho_scale for layer in bayesian_layers(m)]
              for m in (by_keyword, by_spec)]  # fmt: skip
    assert scales[0] == scales[1] == [defaults.MODEL_RHO_SCALE] * 3
    members = bayescnn.models.create("lenet", members=2, posterior=PosteriorSpec("bbb"))
    assert {layer.posterior_rho_scale for layer in bayesian_layers(members)} == {1.0}
    merged = PosteriorSpec.merge(PosteriorSpec("bbb"), rho_scale=2.0)  # fills, no conflict
    assert merged.rho_scale == 2.0


@pytest.mark.parametrize("bad", [0, -1.0, math.inf, math.nan, True, "3"])
def test_a_scale_that_is_not_a_finite_positive_number_is_refused(bad):
    with pytest.raises(InvalidArgumentError, match="rho_scale must be a"):
        PosteriorSpec(rho_scale=bad)


def test_the_scale_is_part_of_the_spec_its_equality_and_its_repr():
    spec = PosteriorSpec(rho_scale=3)
    assert spec.rho_scale == 3.0 and spec != PosteriorSpec()
    assert eval(repr(spec), {"PosteriorSpec": PosteriorSpec, **vars(bayescnn)}) == spec


def test_a_scale_keyword_contradicting_the_spec_is_an_error():
    with pytest.raises(InvalidArgumentError, match="rho_scale=2 contradicts"):
        bayescnn.models.create("lenet", posterior=PosteriorSpec(rho_scale=3), rho_scale=2)


def test_every_entry_point_takes_the_scale():
    layers = [
        bnn.Linear(3, 2, rho_scale=2),
        bnn.Conv2d(1, 2, 3, rho_scale=2),
        bnn.PackedLinear(2, 3, 2, rho_scale=2),
        bnn.PackedConv2d(2, 1, 2, 3, rho_scale=2),
        *bnn.bayesian_layers(bayescnn.to_bayesian(nn.Sequential(nn.Linear(3, 2)), rho_scale=2)),
        *bnn.bayesian_layers(bayescnn.models.create("lenet", rho_scale=2)),
    ]
    assert {layer.posterior_rho_scale for layer in layers} == {2.0}
    assert all(layer.posterior_spec.rho_scale == 2.0 for layer in layers)
    assert "rho_scale=2" in repr(layers[0]) and "rho_scale" not in repr(bnn.Linear(3, 2))


def test_the_layer_stores_rho_over_c_and_its_rho_is_c_times_that():
    layer = bnn.Linear(50, 40, rho_scale=4)
    assert torch.equal(layer.weight_rho_value, 4 * layer.weight_rho)
    assert torch.equal(layer.bias_rho_value, 4 * layer.bias_rho)
    assert torch.equal(layer.weight_sigma, torch.nn.functional.softplus(4 * layer.weight_rho))


def test_the_initial_sigmas_do_not_depend_on_the_scale():
    sigmas = {}
    for c in (1.0, 3.0):
        torch.manual_seed(0)
        sigmas[c] = bnn.Linear(200, 100, rho_scale=c).weight_sigma.detach()
    torch.testing.assert_close(sigmas[3.0], sigmas[1.0], rtol=1e-5, atol=0)
    rho = bnn.Linear(200, 100, rho_scale=3).weight_rho_value.detach()
    mean, std = defaults.POSTERIOR_RHO_INIT
    assert float(rho.mean()) == pytest.approx(mean, abs=0.01)
    assert float(rho.std()) == pytest.approx(std, rel=0.05)


def test_set_rho_stores_a_given_rho_whatever_the_scale():
    layer = bnn.Linear(3, 2, rho_scale=3)
    layer.set_rho(torch.full((2, 3), -2.0), torch.full((2,), -1.0))
    torch.testing.assert_close(layer.weight_rho_value, torch.full((2, 3), -2.0))
    torch.testing.assert_close(layer.bias_rho_value, torch.full((2,), -1.0))


def test_the_kl_of_the_same_posterior_does_not_depend_on_the_scale():
    models = [_lenet(c) for c in (1.0, 3.0)]
    for model in models:
        for layer in bnn.bayesian_layers(model):
            layer.set_rho(
                torch.full_like(layer.weight_rho, -3.0), torch.full_like(layer.bias_rho, -4.0)
            )
    kls = [bayescnn.kl_divergence(m) for m in models]
    torch.testing.assert_close(kls[1], kls[0], rtol=1e-6, atol=0)
    one_layer = [bnn.bayesian_layers(m)[0].kl() for m in models]
    torch.testing.assert_close(one_layer[1], one_layer[0], rtol=1e-6, atol=0)


def test_layers_of_different_scales_are_summed_each_with_its_own():
    model = nn.Sequential(bnn.Linear(4, 3, rho_scale=1), bnn.Linear(3, 2, rho_scale=5))
    expected = sum(layer.kl() for layer in model)
    torch.testing.assert_close(bayescnn.kl_divergence(model), expected)


def test_gradients_reach_mu_and_the_stored_rho_c_times_rhos_own():
    grads = {}
    for c in (1.0, 3.0):
        torch.manual_seed(0)
        layer = bnn.Linear(5, 4, rho_scale=c)
        layer.set_rho(torch.full((4, 5), -3.0), torch.full((4,), -3.0))
        with torch.random.fork_rng():
            torch.manual_seed(1)
            (layer(torch.ones(2, 5)).square().sum() + layer.kl()).backward()
        grads[c] = (layer.weight_mu.grad, layer.weight_rho.grad)
    assert grads[3.0][0].abs().sum() > 0 and grads[3.0][1].abs().sum() > 0
    torch.testing.assert_close(grads[3.0][0], grads[1.0][0])
    torch.testing.assert_close(grads[3.0][1], 3 * grads[1.0][1])


def test_moped_starts_sigma_at_delta_times_the_weight_whatever_the_scale():
    plain = nn.Sequential(nn.Linear(6, 4))
    converted = bayescnn.to_bayesian(plain, init_from_weights=True, delta=0.2, rho_scale=3)
    layer = bnn.bayesian_layers(converted)[0]
    torch.testing.assert_close(layer.weight_sigma, 0.2 * plain[0].weight.detach().abs())
    torch.testing.assert_close(layer.bias_sigma, 0.2 * plain[0].bias.detach().abs())


def test_a_pruned_weight_has_sigma_zero_whatever_the_scale():
    model = _lenet(3.0)
    bayescnn.prune_by_snr(model, 0.5)
    sigma = model.fc1.weight_sigma
    assert torch.all(sigma[model.fc1.weight_mu == 0] == 0)


def test_the_scale_is_a_persistent_buffer_of_the_state_dict():
    state = _lenet(3.0).state_dict()
    assert float(state["fc1.rho_scale"]) == 3.0 and state["fc1.rho_scale"].dim() == 0
    assert rho_scale_keys(_lenet(3.0)) == {k for k in state if k.endswith(RHO_SCALE_BUFFER)}


def test_a_state_dict_of_another_scale_loads_with_its_own_and_predicts_the_same():
    trained = _lenet(3.0)
    for load in (lambda m, s: m.load_state_dict(s), load_model_state):
        fresh = _lenet(1.0, seed=5)
        load(fresh, trained.state_dict())
        assert {layer.posterior_rho_scale for layer in bnn.bayesian_layers(fresh)} == {3.0}
        assert torch.equal(_sampled_logits(fresh), _sampled_logits(trained))
        assert torch.equal(bayescnn.kl_divergence(fresh), bayescnn.kl_divergence(trained))


def test_a_state_dict_saved_before_the_scale_loads_with_c_one_without_a_warning():
    old = _lenet(1.0)
    for load in (lambda m, s: m.load_state_dict(s), load_model_state):
        model = _lenet(3.0, seed=5)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            load(model, _old_state(old))
        assert {layer.posterior_rho_scale for layer in bnn.bayesian_layers(model)} == {1.0}
        assert float(model.fc1.rho_scale) == 1.0
        assert torch.equal(_sampled_logits(model), _sampled_logits(old))


def test_a_state_dict_with_a_non_positive_scale_is_refused():
    state = _lenet(1.0).state_dict()
    state["fc1.rho_scale"] = torch.tensor(0.0)
    with pytest.raises(RuntimeError, match=r"fc1\.rho_scale must be a finite number > 0"):
        _lenet(1.0).load_state_dict(state)


def test_the_original_apis_layers_keep_softplus_of_rho():
    from bayescnn.compat import BBB_Linear

    assert posterior_spec(None, bnn.Estimator.BBB).rho_scale == 1.0
    assert BBB_Linear(3, 2).posterior_rho_scale == 1.0


def test_a_layer_made_on_the_meta_device_gets_its_scale_back_when_reset():
    layer = bnn.Linear(3, 2, rho_scale=3, device="meta").to_empty(device="cpu")
    layer.reset_parameters()
    assert float(layer.rho_scale) == 3.0


def test_a_packed_ensemble_of_the_zoo_takes_the_scale():
    model = bayescnn.models.create("lenet", members=2, rho_scale=2)
    layers = bnn.bayesian_layers(model)
    assert layers and {layer.posterior_rho_scale for layer in layers} == {2.0}
