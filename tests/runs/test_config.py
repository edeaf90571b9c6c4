"""Config files: YAML or TOML, unknown keys and wrong types rejected."""

import json

import pytest
from torch import nn

from bayescnn.data import get_spec
from bayescnn.errors import ConfigError
from bayescnn.nn import BayesianLayer
from bayescnn.runs import TrainConfig, build_model, read_config_file
from bayescnn.runs.config import ADDED_KEYS, NOT_COMPARED_KEYS, write_config_file


def test_yaml_and_toml_files_give_the_same_config(tmp_path):
    (tmp_path / "c.yaml").write_text("epochs: 3\nbeta: 0.1\nposterior_rho_init: [-4, 0.2]\n")
    (tmp_path / "c.toml").write_text("epochs = 3\nbeta = 0.1\nposterior_rho_init = [-4, 0.2]\n")
    a = TrainConfig.from_dict(read_config_file(tmp_path / "c.yaml"))
    b = TrainConfig.from_dict(read_config_file(tmp_path / "c.toml"))
    assert a == b and a.epochs == 3 and a.posterior_rho_init == [-4.0, 0.2]


def test_an_unknown_key_is_an_error_naming_it():
    with pytest.raises(ValueError, match="layer_typ"):
        TrainConfig.from_dict({"layer_typ": "lrt"})


def test_a_wrong_type_is_an_error_naming_the_key():
    with pytest.raises(ValueError, match="'epochs'"):
        TrainConfig.from_dict({"epochs": "ten"})


@pytest.mark.parametrize(
    ("key", "value"), [("estimator", "mcmc"), ("valid_size", 1.0), ("epochs", 0)]
)
def test_out_of_range_values_are_errors(key, value):
    with pytest.raises(ValueError, match=key):
        TrainConfig(**{key: value})


@pytest.mark.parametrize("layers", ["", " , "])
def test_bayesian_layers_naming_no_pattern_is_a_config_error_before_anything_is_built(layers):
    with pytest.raises(ConfigError, match="must be 'linear', 'all' or layer-name globs"):
        TrainConfig(bayesian_layers=layers)


def test_a_config_file_with_the_old_key_objective_loads_as_the_likelihood(tmp_path):
    (tmp_path / "old.yaml").write_text("epochs: 3\nobjective: logmeanexp\n")
    with pytest.warns(DeprecationWarning, match="the config key .objective. is deprecated"):
        config = TrainConfig.from_dict(read_config_file(tmp_path / "old.yaml"))
    assert config.likelihood == "logmeanexp"


def test_a_flag_overrides_the_old_key_of_a_config_file(tmp_path):
    (tmp_path / "old.yaml").write_text("objective: logmeanexp\n")
    with pytest.warns(DeprecationWarning):
        values = read_config_file(tmp_path / "old.yaml")
    assert TrainConfig.from_dict(values | {"likelihood": "mean"}).likelihood == "mean"


def test_the_old_and_the_new_key_together_are_an_error_naming_both():
    with pytest.raises(ConfigError, match="'objective' and 'likelihood'"):
        TrainConfig.from_dict({"objective": "mean", "likelihood": "logmeanexp"})


def test_an_unknown_estimator_is_a_config_error_listing_the_estimators_enum():
    with pytest.raises(ConfigError, match="unknown estimator 'mcmc'; choose one of 'bbb', 'lrt'"):
        TrainConfig(estimator="mcmc")


@pytest.mark.parametrize(
    ("key", "value"), [("posterior_rho_init", [-5.0]), ("posterior_mu_init", [0.0, -1.0])]
)
def test_a_posterior_init_that_is_not_a_mean_and_std_is_a_config_error(key, value):
    with pytest.raises(ConfigError, match=key):
        TrainConfig(**{key: value})


@pytest.mark.parametrize("bad", [0.0, -2.0, float("inf")])
def test_a_rho_scale_that_is_not_finite_and_positive_is_a_config_error(bad):
    with pytest.raises(ConfigError, match="rho_scale must be a finite number > 0") as caught:
        TrainConfig(rho_scale=bad)
    assert caught.value.key == "rho_scale"


def test_a_saved_run_without_rho_scale_was_trained_with_c_one():
    assert ADDED_KEYS["rho_scale"] == 1.0


def test_a_saved_run_without_a_temperature_form_was_calibrated_per_sample():
    assert TrainConfig.from_saved({"epochs": 3}).temperature_form == "per-sample"
    assert TrainConfig().temperature_form == "pooled"


def test_an_unknown_temperature_form_is_a_config_error_listing_the_forms():
    with pytest.raises(ConfigError, match="'pooled', 'per-sample'") as caught:
        TrainConfig(temperature_form="global")
    assert caught.value.key == "temperature_form"


def test_a_saved_config_fills_the_keys_it_predates_with_their_old_values_not_the_defaults(
    monkeypatch,
):
    monkeypatch.setitem(ADDED_KEYS, "rho_scale", 2.5)
    assert TrainConfig.from_saved({"epochs": 3}).rho_scale == 2.5
    assert TrainConfig.from_saved({"rho_scale": 3}).rho_scale == 3.0
    assert TrainConfig.from_dict({"epochs": 3}).rho_scale == TrainConfig().rho_scale


@pytest.mark.parametrize(
    ("options", "layers", "scale"),
    [
        ({}, "linear", 3.0),
        ({"members": 4}, "all", 1.0),
        ({"posterior_family": "rank1"}, "all", 1.0),
    ],
    ids=["one network", "packed members", "rank1"],
)
def test_unset_layers_and_rho_scale_resolve_to_the_models_defaults(options, layers, scale):
    config = TrainConfig(**options)
    assert (config.bayesian_layers, config.rho_scale) == (layers, scale)


def test_layers_and_rho_scale_given_are_kept():
    config = TrainConfig(bayesian_layers="fc3", rho_scale=2.0)
    assert (config.bayesian_layers, config.rho_scale) == ("fc3", 2.0)


def test_a_saved_config_holds_the_resolved_layers_and_rho_scale(tmp_path):
    write_config_file(TrainConfig(), tmp_path / "config.yaml")
    saved = read_config_file(tmp_path / "config.yaml")
    assert (saved["bayesian_layers"], saved["rho_scale"]) == ("linear", 3.0)


def test_a_config_from_a_run_saved_before_bayesian_layers_existed_is_every_layer_bayesian():
    old = {k: v for k, v in TrainConfig().to_dict().items() if k not in ADDED_KEYS}
    config = TrainConfig.from_saved(old)
    assert (config.bayesian_layers, config.rho_scale) == ("all", 1.0)
    model = build_model(config, get_spec("mnist"))
    kinds = {
        name: isinstance(m, BayesianLayer)
        for name, m in model.named_modules()
        if isinstance(m, (nn.Conv2d, nn.Linear, BayesianLayer))
    }
    assert kinds == dict.fromkeys(["conv1", "conv2", "fc1", "fc2", "fc3"], True)


def test_differences_name_each_key_with_both_values_in_field_order():
    ours = TrainConfig()
    theirs = TrainConfig(lr=0.01, epochs=3, estimator="bbb")
    assert ours.differences(theirs) == {
        "estimator": (ours.estimator, "bbb"),
        "epochs": (10, 3),
        "lr": (ours.lr, 0.01),
    }
    assert list(ours.differences(theirs)) == ["estimator", "epochs", "lr"]


def test_differences_leave_out_where_a_run_finds_its_data_runs_writes_and_reports():
    moved = dict(data_dir="/elsewhere", download=True, device="cpu", out_dir="/scratch",
                 run_name="again", log_every=7, tensorboard=True)  # fmt: skip
    assert set(moved) == set(NOT_COMPARED_KEYS)
    assert TrainConfig().differences(TrainConfig(**moved)) == {}


def test_an_unset_model_default_is_no_difference_from_the_value_it_resolves_to():
    resolved = TrainConfig()
    given = TrainConfig(rho_scale=resolved.rho_scale, bayesian_layers=resolved.bayesian_layers)
    assert resolved.differences(given) == {}


def test_a_config_read_back_from_a_checkpoint_header_has_no_differences():
    config = TrainConfig(lr=3e-3, beta=0.1, posterior_mu_init=[0, 0.1], grad_clip=1)
    saved = json.loads(json.dumps(config.to_dict()))  # as the checkpoint's header holds it
    assert TrainConfig.from_saved(saved).differences(config) == {}
