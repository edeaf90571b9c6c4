"""Config files: YAML or TOML, unknown keys and wrong types rejected."""

import pytest

from bayescnn.errors import ConfigError
from bayescnn.runs import TrainConfig, read_config_file
from bayescnn.runs.config import ADDED_KEYS


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
    with pytest.raises(ConfigError, match="must be 'all' or layer-name globs"):
        TrainConfig(bayesian_layers=layers)


def test_a_config_file_with_the_old_key_objective_loads_as_the_likelihood(tmp_path):
    (tmp_path / "old.yaml").write_text("epochs: 3\nobjective: logmeanexp\n")
    with pytest.warns(DeprecationWarning, match="objective -> likelihood"):
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


def test_a_saved_config_fills_the_keys_it_predates_with_their_old_values_not_the_defaults(
    monkeypatch,
):
    monkeypatch.setitem(ADDED_KEYS, "rho_scale", 2.5)
    assert TrainConfig.from_saved({"epochs": 3}).rho_scale == 2.5
    assert TrainConfig.from_saved({"rho_scale": 3}).rho_scale == 3.0
    assert TrainConfig.from_dict({"epochs": 3}).rho_scale == TrainConfig().rho_scale
