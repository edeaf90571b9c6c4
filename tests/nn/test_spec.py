"""PosteriorSpec: the posterior's options in one validated object, taken by every entry point."""

import math
import pickle

import pytest
import torch
from torch import nn

import bayescnn
from bayescnn import defaults
from bayescnn import nn as bnn
from bayescnn.errors import InvalidArgumentError, InvalidTypeError, UnknownNameError
from bayescnn.nn import PosteriorSpec
from bayescnn.priors import GaussianPrior, ScaleMixturePrior

CUSTOM = dict(
    estimator="lrt",
    prior=GaussianPrior(0.0, 0.1),
    posterior_mu_init=(0.0, 0.05),
    posterior_rho_init=(-4.0, 0.2),
    rho_scale=2.0,
)
"""Every keyword away from its default (a layer's rho scale 1, a zoo network's 3)."""


def _spec() -> PosteriorSpec:
    return PosteriorSpec(
        "lrt", GaussianPrior(0.0, 0.1), mu_init=(0.0, 0.05), rho_init=(-4.0, 0.2), rho_scale=2.0
    )


def test_the_spec_is_exported_at_the_top_level():
    assert bayescnn.PosteriorSpec is bnn.PosteriorSpec


def test_a_default_spec_holds_the_defaults_module_values():
    spec = PosteriorSpec()
    assert spec.estimator is bnn.Estimator(defaults.ESTIMATOR)
    assert isinstance(spec.prior, GaussianPrior)
    assert (float(spec.prior.mu), float(spec.prior.sigma)) == (
        defaults.PRIOR_MU,
        defaults.PRIOR_SIGMA,
    )
    assert spec.mu_init == defaults.POSTERIOR_MU_INIT
    assert spec.rho_init == defaults.POSTERIOR_RHO_INIT


def test_an_unknown_estimator_is_refused_listing_the_estimators():
    with pytest.raises(UnknownNameError, match="'bbb', 'lrt', 'flipout'"):
        PosteriorSpec("mcmc")


def test_a_prior_that_is_not_a_prior_is_a_type_error():
    with pytest.raises(InvalidTypeError, match="Prior, got str"):
        PosteriorSpec(prior="gaussian")


@pytest.mark.parametrize("field", ["mu_init", "rho_init"])
@pytest.mark.parametrize("bad", [(1.0,), ("a", "b"), (0.0, -1.0), (math.nan, 0.1), 3.0])
def test_an_init_that_is_not_a_mean_and_a_nonnegative_std_is_refused(field, bad):
    with pytest.raises(InvalidArgumentError, match=f"posterior_{field}"):
        PosteriorSpec(**{field: bad})


def test_a_spec_cannot_be_changed_once_made():
    with pytest.raises(AttributeError):
        PosteriorSpec().estimator = "bbb"


def test_inits_are_stored_as_float_pairs():
    spec = PosteriorSpec(mu_init=[0, 1], rho_init=[-5, 0])
    assert spec.mu_init == (0.0, 1.0) and spec.rho_init == (-5.0, 0.0)


def test_specs_with_the_same_options_are_equal_and_hash_alike():
    assert _spec() == _spec() and hash(_spec()) == hash(_spec())
    assert _spec() != PosteriorSpec("lrt", ScaleMixturePrior(), (0.0, 0.05), (-4.0, 0.2))
    assert PosteriorSpec() != PosteriorSpec(prior=GaussianPrior(0.0, 0.5))


def test_a_spec_pickles_and_its_repr_rebuilds_it():
    spec = _spec()
    assert pickle.loads(pickle.dumps(spec)) == spec
    assert "estimator='lrt'" in repr(spec)
    names = {"PosteriorSpec": PosteriorSpec, "GaussianPrior": GaussianPrior}
    assert eval(repr(spec), names) == spec


LAYERS = {
    "linear": lambda **kw: bnn.Linear(6, 4, **kw),
    "conv2d": lambda **kw: bnn.Conv2d(2, 3, 3, padding=1, **kw),
    "conv1d": lambda **kw: bnn.Conv1d(2, 3, 3, **kw),
}


def _state(module: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in module.state_dict().items()}


def _same_state(a: nn.Module, b: nn.Module) -> bool:
    first, second = _state(a), _state(b)
    return first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)


@pytest.mark.parametrize("make", LAYERS.values(), ids=LAYERS.keys())
def test_a_layer_from_keywords_equals_the_layer_from_their_spec(make):
    torch.manual_seed(0)
    from_keywords = make(**CUSTOM)
    torch.manual_seed(0)
    from_spec = make(posterior=_spec())
    assert _same_state(from_keywords, from_spec)
    assert from_keywords.posterior_spec == from_spec.posterior_spec == _spec()


def test_to_bayesian_from_keywords_equals_to_bayesian_from_their_spec():
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))
    torch.manual_seed(0)
    from_keywords = bayescnn.to_bayesian(net, **CUSTOM)
    torch.manual_seed(0)
    from_spec = bayescnn.to_bayesian(net, posterior=_spec())
    assert _same_state(from_keywords, from_spec)
    assert all(layer.posterior_spec == _spec() for layer in bnn.bayesian_layers(from_spec))


@pytest.mark.parametrize("name", ["lenet", "resnet18"])
def test_models_create_from_keywords_equals_create_from_their_spec(name):
    torch.manual_seed(0)
    from_keywords = bayescnn.models.create(name, **CUSTOM)
    torch.manual_seed(0)
    from_spec = bayescnn.models.create(name, posterior=_spec())
    assert _same_state(from_keywords, from_spec)
    assert all(layer.posterior_spec == _spec() for layer in bnn.bayesian_layers(from_spec))


ENTRY_POINTS = {
    "layer": lambda **kw: bnn.Linear(4, 3, **kw),
    "to_bayesian": lambda **kw: bayescnn.to_bayesian(nn.Sequential(nn.Linear(4, 3)), **kw),
    "models.create": lambda **kw: bayescnn.models.create("lenet", **kw),
}


@pytest.mark.parametrize("enter", ENTRY_POINTS.values(), ids=ENTRY_POINTS.keys())
@pytest.mark.parametrize(
    "keyword",
    [
        {"estimator": "bbb"},
        {"prior": GaussianPrior(0.0, 1.0)},
        {"posterior_mu_init": None},
        {"posterior_rho_init": (-5.0, 0.1)},
        {"rho_scale": 1.0},
    ],
    ids=lambda keyword: next(iter(keyword)),
)
def test_a_keyword_that_contradicts_the_spec_is_an_error_naming_both(enter, keyword):
    (name,) = keyword
    with pytest.raises(InvalidArgumentError, match=rf"{name}=.* contradicts posterior="):
        enter(posterior=_spec(), **keyword)


@pytest.mark.parametrize("enter", ENTRY_POINTS.values(), ids=ENTRY_POINTS.keys())
def test_a_keyword_that_agrees_with_the_spec_is_accepted(enter):
    model = enter(posterior=_spec(), estimator="lrt", prior=GaussianPrior(0.0, 0.1))
    layers = [model] if isinstance(model, bnn.BayesianLayer) else bnn.bayesian_layers(model)
    assert all(layer.posterior_spec == _spec() for layer in layers)


def test_a_posterior_that_is_not_a_spec_is_a_type_error():
    with pytest.raises(InvalidTypeError, match="PosteriorSpec, got str"):
        bnn.Linear(4, 3, posterior="lrt")


def test_layers_made_from_one_spec_each_own_a_copy_of_its_prior():
    spec = _spec()
    first, second = bnn.Linear(4, 3, posterior=spec), bnn.Linear(4, 3, posterior=spec)
    assert first.prior is not spec.prior and first.prior is not second.prior
    assert first.posterior_spec == second.posterior_spec == spec


def test_a_rho_init_that_underflows_in_the_layers_dtype_is_still_refused():
    spec = PosteriorSpec(rho_init=(-200.0, 0.1))
    with pytest.raises(InvalidArgumentError, match="softplus"):
        bnn.Linear(4, 3, posterior=spec)
    bnn.Linear(4, 3, posterior=spec, dtype=torch.float64)
