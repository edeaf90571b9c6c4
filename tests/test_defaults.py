"""One set of defaults: the layers, to_bayesian, models.create and `bayescnn train` agree."""

import pytest
import torch
from torch import nn

import bayescnn
from bayescnn import defaults
from bayescnn import nn as bnn
from bayescnn.data import get_spec
from bayescnn.runs import TrainConfig, build_model, build_posterior, build_prior


def _settings(layer: bnn.BayesianLayer) -> tuple:
    prior = layer.prior
    return (
        layer.estimator.value,
        type(prior).__name__,
        float(prior.mu),
        float(prior.sigma),
        layer.posterior_mu_init,
        tuple(layer.posterior_rho_init),
    )


def test_layers_converter_zoo_and_command_line_share_prior_init_and_estimator():
    expected = (
        defaults.ESTIMATOR,
        "GaussianPrior",
        defaults.PRIOR_MU,
        defaults.PRIOR_SIGMA,
        defaults.POSTERIOR_MU_INIT,
        defaults.POSTERIOR_RHO_INIT,
    )
    layer = bnn.Linear(4, 3)
    converted = bnn.bayesian_layers(bayescnn.to_bayesian(nn.Sequential(nn.Linear(4, 3))))[0]
    zoo = bnn.bayesian_layers(bayescnn.models.create("lenet"))[0]
    config = TrainConfig()
    from_config = bnn.bayesian_layers(build_model(config, get_spec("mnist")))[0]
    for each in (layer, converted, zoo, from_config):
        assert _settings(each) == expected


def test_zoo_and_command_line_make_the_same_layers_bayesian():
    config = TrainConfig()
    assert config.bayesian_layers == defaults.BAYESIAN_LAYERS
    zoo = bayescnn.models.create("lenet")
    from_config = build_model(config, get_spec("mnist"))
    names = [
        [n for n, m in model.named_modules() if isinstance(m, bnn.BayesianLayer)]
        for model in (zoo, from_config)
    ]
    assert names[0] == names[1] and names[0]


def test_zoo_and_command_line_make_a_network_without_linear_layers_bayesian_in_every_layer():
    def all_conv(num_classes: int, in_channels: int) -> nn.Module:
        return nn.Sequential(nn.Conv2d(in_channels, num_classes, 3), nn.AdaptiveAvgPool2d(1),
                             nn.Flatten())  # fmt: skip

    bayescnn.models.register_model("all-conv-defaults-test")(all_conv)
    try:
        config = TrainConfig(model="all-conv-defaults-test")
        saved = TrainConfig.from_saved(config.to_dict())
        for model in (
            bayescnn.models.create("all-conv-defaults-test"),
            build_model(config, get_spec("mnist")),
            build_model(saved, get_spec("mnist")),
        ):
            assert [n for n, m in model.named_modules() if isinstance(m, bnn.BayesianLayer)] == [
                "0"
            ]
    finally:
        del bayescnn.models.MODELS["all-conv-defaults-test"]


def test_zoo_and_command_line_share_the_activation():
    config = TrainConfig()
    assert config.activation == defaults.ACTIVATION
    model = bayescnn.models.create("lenet")
    assert isinstance(model.act1, {"relu": nn.ReLU, "softplus": nn.Softplus}[defaults.ACTIVATION])


def test_a_prior_registered_from_user_code_is_built_by_name_with_its_hyperparameters():
    from bayescnn.priors import PRIORS, register_prior

    @register_prior("wide-gaussian", replace=True)
    def wide(mu: float, sigma: float) -> bayescnn.Prior:
        return bayescnn.GaussianPrior(mu, 10 * sigma)

    try:
        prior = build_prior(TrainConfig(prior="wide-gaussian", prior_sigma=0.5))
        assert float(prior.sigma) == 5.0
    finally:
        del PRIORS["wide-gaussian"]
    assert torch.is_tensor(prior.sigma)


def test_a_prior_hyperparameter_changed_for_a_prior_that_does_not_take_it_is_an_error():
    with pytest.raises(bayescnn.BayesCNNError, match="prior 'gaussian' does not take pi"):
        build_prior(TrainConfig(prior="gaussian", prior_pi=0.3))


def test_the_mixture_prior_builds_from_a_default_config_without_the_gaussians_options():
    prior = build_prior(TrainConfig(prior="mixture", prior_sigma2=0.01))
    assert float(prior.sigma2) == pytest.approx(0.01)


def test_the_builder_gives_the_models_posterior_as_one_spec():
    config = TrainConfig(estimator="lrt", posterior_mu_init=[0.0, 0.05])
    spec = build_posterior(config)
    assert spec == bayescnn.PosteriorSpec(
        "lrt", mu_init=(0.0, 0.05), rho_scale=defaults.MODEL_RHO_SCALE
    )
    model = build_model(config, get_spec("mnist"))
    assert all(layer.posterior_spec == spec for layer in bnn.bayesian_layers(model))


def _default(function, name: str):
    import inspect

    return inspect.signature(function).parameters[name].default


def test_every_monte_carlo_sample_count_is_the_models_default_unless_given():
    """``samples=None`` everywhere, resolved by one rule (nn.default_samples): SAMPLES for one
    network, MEMBER_SAMPLES of each member of a network of members (and the validation's
    VALID_SAMPLES at most that)."""
    from bayescnn.calibration import calibrate
    from bayescnn.reports import uncertainty_report
    from bayescnn.runs import build_test_report
    from bayescnn.shift import evaluate_shift
    from bayescnn.train import evaluate
    from bayescnn.uncertainty import evaluate_ood

    functions = [bayescnn.predict, bayescnn.predict_loader, evaluate, build_test_report]
    functions += [evaluate_ood, uncertainty_report, evaluate_shift, calibrate]
    for function in functions:
        assert _default(function, "samples") is None, function.__qualname__
    x = torch.randn(3, 1, 32, 32)
    one, members = bayescnn.models.create("lenet"), bayescnn.models.create("lenet", members=4)
    assert bayescnn.predict(one, x).samples == defaults.SAMPLES
    assert bayescnn.predict(members, x).samples == 4 * defaults.MEMBER_SAMPLES
    assert bayescnn.predict(members, x, samples=3).samples == 12  # given: kept
    assert defaults.MEMBER_SAMPLES < defaults.VALID_SAMPLES < defaults.SAMPLES
    config, packed = TrainConfig(), TrainConfig(members=4)
    rank1 = TrainConfig(posterior_family="rank1")
    assert (config.valid_samples, config.test_samples) == (defaults.VALID_SAMPLES, defaults.SAMPLES)
    for each in (packed, rank1):  # written down in the config: a saved run keeps them
        assert (each.valid_samples, each.test_samples) == (defaults.MEMBER_SAMPLES,) * 2
    assert TrainConfig(members=4, test_samples=25).test_samples == 25


def test_every_ece_defaults_to_defaults_ece_bins():
    from bayescnn.metrics import calibration_error
    from bayescnn.train import classification_metrics

    assert _default(calibration_error, "n_bins") == defaults.ECE_BINS
    assert _default(classification_metrics, "n_bins") == defaults.ECE_BINS


def test_the_commands_leave_the_samples_to_the_model():
    from bayescnn.cli.main import build_parser

    parser = build_parser()
    for argv in (["uncertainty", "RUN"], ["shift", "RUN"], ["prune", "RUN"]):
        assert parser.parse_args(argv).samples is None, argv[0]
