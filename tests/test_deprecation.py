"""One way to deprecate: every old name is registered, warns with its replacement and the
version that removes it, and still does what the new name does."""

import contextlib
import importlib
import inspect
import io
import re
import sys
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
import torch

import bayescnn
import bayescnn.cli.main
from bayescnn.deprecation import (
    DEPRECATED,
    REMOVED_IN,
    BayesCNNDeprecationWarning,
    renamed_keyword,
)
from bayescnn.errors import InvalidArgumentError, MissingFileError

SRC = Path(bayescnn.__file__).parent
ROOT = SRC.parent.parent

with contextlib.suppress(ImportError):  # the lightning extra may not be installed
    import bayescnn.lightning  # registers BayesianClassifier's old keyword


def _model() -> torch.nn.Module:
    return bayescnn.models.create("lenet", in_channels=1, image_size=28)


def _inputs() -> torch.Tensor:
    return torch.randn(2, 1, 28, 28)


def _module_attribute(module: str, old: str, new: object) -> Callable[[Path], None]:
    def use(_: Path) -> None:
        assert getattr(importlib.import_module(module), old) is new

    return use


def _moved(module: str, names: Iterable[str], to: str) -> dict[str, Callable[[Path], None]]:
    """The old path ``module.NAME`` of each of ``names``, now ``to.NAME``: the same object."""
    target = importlib.import_module(to)
    return {
        f"{module}.{name}": _module_attribute(module, name, getattr(target, name)) for name in names
    }


PRUNING = ("prune_by_magnitude", "prune_by_snr")
POSTERIOR_STATS = ("LayerStatistics", "layer_statistics", "signal_to_noise")
"""The names of bayescnn.nn.pruning and bayescnn.nn.posterior_stats, now bayescnn.analysis."""
TEMPERATURE = ("TemperatureForm", "load_temperature", "register_temperature_state",
               "set_temperature", "temperature_form", "temperature_of")  # fmt: skip
"""The temperature's names that bayescnn.nn exported, now bayescnn.calibration."""
TEMPERATURE_MODULE = (*TEMPERATURE, "POOLED_BUFFER", "TEMPERATURE_BUFFER", "fit_temperature",
                      "temper_predictive")  # fmt: skip
"""The public names of bayescnn.nn.temperature, now bayescnn.calibration."""
TEMPERATURE_HELPERS = ("apply_temperature", "divide_by_temperature", "pooled_temperature")
"""Its helpers, now bayescnn.calibration.temperature."""
CALIBRATE = ("CalibrationDeclinedWarning", "TemperatureFit", "calibrate", "calibrate_logits")
EVIDENCE = ("TemperatureEvidence", "weigh_temperature_evidence")
"""bayescnn.uncertainty's names of the fit and the held-out evidence, now bayescnn.calibration."""


def _predict_method(_: Path) -> None:
    prediction = bayescnn.predict(_model(), _inputs(), samples=2, method="entropy")
    assert prediction.entropy is not None and prediction.softmax is None


def _predict_loader_method(_: Path) -> None:
    prediction = bayescnn.predict_loader(_model(), [_inputs()], samples=2, method="softmax")
    assert prediction.softmax is not None and prediction.entropy is None


def _elbo_objective_keyword(_: Path) -> None:
    assert bayescnn.ELBO(10, objective="logmeanexp").likelihood == "logmeanexp"


def _elbo_objective_attribute(_: Path) -> None:
    assert bayescnn.ELBO(10, likelihood="logmeanexp").objective == "logmeanexp"


def _classifier_objective(_: Path) -> None:
    module = bayescnn.lightning.BayesianClassifier(_model(), 10, objective="logmeanexp")
    assert module.elbo.likelihood == "logmeanexp"


def _config_key(tmp_path: Path) -> None:
    (tmp_path / "old.yaml").write_text("objective: logmeanexp\n")
    values = bayescnn.runs.read_config_file(tmp_path / "old.yaml")
    assert bayescnn.runs.TrainConfig.from_dict(values).likelihood == "logmeanexp"


def _runs_load_run(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match="no run folder or checkpoint"):
        bayescnn.runs.load_run(tmp_path / "missing")  # what open_run says
    # a real run folder: tests/runs/test_training_runs.py


def _train_predictive_probs(_: Path) -> None:
    model, batches = _model(), [(_inputs(), torch.tensor([0, 1]))]
    with torch.random.fork_rng():
        torch.manual_seed(5)
        probs, labels = bayescnn.train.predictive_probs(model, batches, samples=3)
        torch.manual_seed(5)
        prediction = bayescnn.predict_loader(model, batches, samples=3)
    torch.testing.assert_close(probs, prediction.probs, rtol=0, atol=0)
    assert torch.equal(labels, prediction.labels)


def _metrics_calibration(_: Path) -> None:
    probs, labels = torch.tensor([[0.9, 0.1], [0.4, 0.6]]), torch.tensor([0, 0])
    result = bayescnn.metrics.calibration(probs, labels, n_bins=2)
    assert result.ece == bayescnn.metrics.calibration_error(probs, labels, n_bins=2).ece


def _cli_objective_flag(_: Path) -> None:
    args = bayescnn.cli.main.build_parser().parse_args(["train", "--objective", "logmeanexp"])
    assert args.likelihood == "logmeanexp"


def _plot_force_flag(_: Path) -> None:
    args = bayescnn.cli.main.build_parser().parse_args(["plot", "RUN", "--force"])
    assert args.overwrite is True


def _ood_evaluation_calibration(_: Path) -> None:
    result = bayescnn.metrics.calibration_error(torch.tensor([[0.9, 0.1]]), torch.tensor([0]))
    evaluation = bayescnn.uncertainty.OODEvaluation(None, None, result, {})  # type: ignore[arg-type]
    assert evaluation.calibration is result


USES: dict[str, Callable[[Path], None]] = {
    "bayescnn.uncertainty.METHODS": _module_attribute(
        "bayescnn.uncertainty", "METHODS", bayescnn.uncertainty.DECOMPOSITIONS
    ),
    "bayescnn.uncertainty.prediction.METHODS": _module_attribute(
        "bayescnn.uncertainty.prediction", "METHODS", bayescnn.uncertainty.DECOMPOSITIONS
    ),
    "bayescnn.uncertainty.load_ood_set": _module_attribute(
        "bayescnn.uncertainty", "load_ood_set", bayescnn.data.load_ood_set
    ),
    "bayescnn.uncertainty.OOD_SET_NAMES": _module_attribute(
        "bayescnn.uncertainty", "OOD_SET_NAMES", bayescnn.data.OOD_SET_NAMES
    ),
    "bayescnn.train.OBJECTIVES": _module_attribute(
        "bayescnn.train", "OBJECTIVES", bayescnn.train.LIKELIHOODS
    ),
    "bayescnn.train.objective.OBJECTIVES": _module_attribute(
        "bayescnn.train.objective", "OBJECTIVES", bayescnn.train.LIKELIHOODS
    ),
    "bayescnn.predict(method=...)": _predict_method,
    "bayescnn.predict_loader(method=...)": _predict_loader_method,
    "bayescnn.ELBO(objective=...)": _elbo_objective_keyword,
    "bayescnn.ELBO.objective": _elbo_objective_attribute,
    "bayescnn.lightning.BayesianClassifier(objective=...)": _classifier_objective,
    "the config key 'objective'": _config_key,
    "bayescnn.runs.load_run": _runs_load_run,
    "bayescnn train --objective": _cli_objective_flag,
    "bayescnn plot --force": _plot_force_flag,
    "bayescnn.uncertainty.OODEvaluation.calibration": _ood_evaluation_calibration,
    "bayescnn.train.predictive_probs": _train_predictive_probs,
    "bayescnn.metrics.calibration": _metrics_calibration,
    **_moved("bayescnn.nn", PRUNING + POSTERIOR_STATS, "bayescnn.analysis"),
    **_moved("bayescnn.nn.pruning", PRUNING, "bayescnn.analysis"),
    **_moved("bayescnn.nn.posterior_stats", POSTERIOR_STATS, "bayescnn.analysis"),
    **_moved("bayescnn.nn", TEMPERATURE, "bayescnn.calibration"),
    **_moved("bayescnn.nn.temperature", TEMPERATURE_MODULE, "bayescnn.calibration"),
    **_moved("bayescnn.nn.temperature", TEMPERATURE_HELPERS, "bayescnn.calibration.temperature"),
    **_moved("bayescnn.nn.temperature", ["check_held_out"], "bayescnn.calibration.fitting"),
    "bayescnn.nn.temperature.predictive_nll": _module_attribute(
        "bayescnn.nn.temperature", "predictive_nll", bayescnn.calibration.tempered_nll
    ),
    **_moved("bayescnn.uncertainty", CALIBRATE + EVIDENCE, "bayescnn.calibration"),
    **_moved("bayescnn.uncertainty.temperature_evidence", EVIDENCE, "bayescnn.calibration"),
}
"""How to use each deprecated name, checking it still works: one per registered name."""


def test_the_registry_holds_exactly_the_deprecated_names_this_test_uses():
    assert sorted(DEPRECATED) == sorted(USES if "bayescnn.lightning" in sys.modules else
        [old for old in USES if "lightning" not in old])  # fmt: skip


@pytest.mark.parametrize("old", sorted(USES))
def test_each_deprecated_name_warns_with_its_replacement_and_removal_version_and_still_works(
    old, tmp_path
):
    """A command-line flag prints the warning's words on stderr; the rest warn."""
    if old not in DEPRECATED:
        pytest.skip(f"{old}: its optional extra is not installed")
    entry = DEPRECATED[old]
    stderr = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stderr(stderr):
        warnings.simplefilter("always")
        USES[old](tmp_path)
    ours = [w for w in caught if issubclass(w.category, BayesCNNDeprecationWarning)]
    said = [str(w.message) for w in ours] + stderr.getvalue().removeprefix("warning: ").splitlines()
    assert said == [entry.message]
    assert old in entry.message and entry.new in entry.message
    assert f"removed in bayescnn {REMOVED_IN}" in entry.message and REMOVED_IN == "0.3.0"
    assert all(w.filename == __file__ for w in ours), "the warning points at the caller"


def test_the_warning_is_a_deprecation_warning():
    assert issubclass(BayesCNNDeprecationWarning, DeprecationWarning)


def test_every_module_that_deprecates_a_name_is_imported_here_so_the_registry_is_complete():
    users = {
        ".".join(path.relative_to(SRC.parent).with_suffix("").parts).removesuffix(".__init__")
        for path in SRC.rglob("*.py")
        if "from bayescnn.deprecation import" in path.read_text()
    }
    assert users and users <= set(sys.modules)


def test_no_deprecation_warning_is_raised_anywhere_in_src_but_through_the_helper():
    pattern = re.compile(r"DeprecationWarning|FutureWarning|next release")
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path.name != "deprecation.py" and pattern.search(path.read_text())
    ]
    assert offenders == []


def test_the_changelog_lists_every_deprecated_name_with_the_removal_version():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    deprecated = changelog.split("### Deprecated", 1)[1].split("\n### ", 1)[0]
    assert f"removed in {REMOVED_IN}" in deprecated
    for old in DEPRECATED:
        assert f"`{old}`" in deprecated, old


def test_a_renamed_keyword_given_with_its_new_name_is_an_error():
    with pytest.raises(InvalidArgumentError, match=r"give decomposition= only"):
        bayescnn.predict(_model(), _inputs(), samples=2, method="entropy", decomposition="all")


def test_a_renamed_keyword_left_at_none_is_not_given():
    @renamed_keyword("example", "old_name_for_the_test", "new")
    def example(*, new: int = 1) -> int:
        return new

    try:
        with pytest.warns(BayesCNNDeprecationWarning, match=r"example\(new=...\)"):
            assert example(old_name_for_the_test=2) == 2
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert example(old_name_for_the_test=None) == 1  # the old signatures' default
    finally:
        DEPRECATED.pop("example(old_name_for_the_test=...)")


def test_the_signatures_show_the_new_keywords_only():
    assert "method" not in inspect.signature(bayescnn.predict).parameters
    assert "objective" not in inspect.signature(bayescnn.ELBO).parameters


def test_the_uncalibrated_warning_still_points_at_the_caller_of_predict():
    with pytest.warns(bayescnn.uncertainty.UncalibratedWarning) as caught:
        bayescnn.predict(_model(), _inputs(), samples=2)
    assert caught[0].filename == __file__
