"""A model saves and loads the way PyTorch users expect: ``torch.save(model.state_dict())``
then ``fresh.load_state_dict(torch.load(path))`` (``strict=True``) into a freshly built
model of the same construction, calibrated or not, for every model the library builds or
converts, with the temperature and its form restored, and older state dicts keeping their
meaning."""

from __future__ import annotations

import copy
import io
from collections.abc import Callable

import pytest
import torch
from torch import nn

import bayescnn
from bayescnn.calibration.temperature import (
    POOLED_BUFFER,
    TEMPERATURE_BUFFER,
    register_temperature_state,
    set_temperature,
    temperature_form,
    temperature_of,
)
from bayescnn.compat import BBB3Conv3FC, BBBAlexNet, BBBLeNet, FlattenLayer, ModuleWrapper
from bayescnn.compat.BBB import BBBConv2d, BBBLinear
from bayescnn.io import load_checkpoint, load_legacy_state_dict, load_model_state, save_checkpoint

FORMS = ["pooled", "per-sample"]
INPUT_SHAPE = (1, 32, 32)


def _plain_cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 4, 5, stride=2),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(2),
        nn.Flatten(),
        nn.Linear(16, 10),
    )


class _OriginalUserNet(ModuleWrapper):
    """A network written for the original project's API."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = BBBConv2d(1, 4, 5, stride=2)
        self.act = nn.Softplus()
        self.flatten = FlattenLayer(4 * 14 * 14)
        self.fc = BBBLinear(4 * 14 * 14, 10)


MODELS: dict[str, Callable[[], nn.Module]] = {
    "to_bayesian": lambda: bayescnn.to_bayesian(_plain_cnn()),
    "create": lambda: bayescnn.models.create("lenet"),
    "create-frequentist": lambda: bayescnn.models.create("lenet", bayesian=False),
    "create-all-bayesian": lambda: bayescnn.models.create("lenet", bayesian_layers="all"),
    "create-packed-members": lambda: bayescnn.models.create("lenet", members=4),
    "create-rank1": lambda: bayescnn.models.create("lenet", posterior_family="rank1"),
    "ensemble": lambda: bayescnn.Ensemble(
        [bayescnn.models.create("lenet"), bayescnn.models.create("lenet")]
    ),
    "to_deterministic": lambda: bayescnn.to_deterministic(bayescnn.models.create("lenet")),
    "compat-bbb-lenet": lambda: BBBLeNet(10, 1, None, layer_type="bbb"),
    "compat-lrt-alexnet": lambda: BBBAlexNet(10, 1, None, layer_type="lrt"),
    "compat-3conv3fc": lambda: BBB3Conv3FC(10, 1, None),
    "compat-module-wrapper": _OriginalUserNet,
}
KINDS = list(MODELS)


def _build(kind: str, seed: int) -> nn.Module:
    """The model ``kind`` built with the weights of ``seed`` (another seed: other weights)."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return MODELS[kind]()


def _round_trip(state: dict[str, torch.Tensor], tmp_path) -> dict[str, torch.Tensor]:
    path = tmp_path / "model.pt"
    torch.save(state, path)
    return torch.load(path)


def _reloaded(model: nn.Module, kind: str, tmp_path) -> nn.Module:
    fresh = _build(kind, seed=1)
    result = fresh.load_state_dict(_round_trip(model.state_dict(), tmp_path))
    assert (result.missing_keys, result.unexpected_keys) == ([], [])
    return fresh


def _probs(model: nn.Module) -> torch.Tensor:
    inputs = torch.randn(2, *INPUT_SHAPE, generator=torch.Generator().manual_seed(3))
    with torch.random.fork_rng():
        torch.manual_seed(7)
        prediction = bayescnn.predict(model, inputs, samples=2, decomposition="none", scores="none")
    return prediction.probs


@pytest.mark.parametrize("kind", KINDS)
def test_an_uncalibrated_model_reloads_strictly_and_stays_uncalibrated(kind, tmp_path):
    fresh = _reloaded(_build(kind, seed=0), kind, tmp_path)
    assert temperature_of(fresh) is None


@pytest.mark.parametrize("kind", KINDS)
def test_an_uncalibrated_models_state_dict_holds_no_temperature(kind):
    state = _build(kind, seed=0).state_dict()
    assert TEMPERATURE_BUFFER not in state
    assert POOLED_BUFFER not in state


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("kind", KINDS)
def test_a_calibrated_model_reloads_strictly_with_its_temperature_and_form(kind, form, tmp_path):
    model = set_temperature(_build(kind, seed=0), 1.75, form=form)
    fresh = _reloaded(model, kind, tmp_path)
    assert temperature_of(fresh) == 1.75
    assert temperature_form(fresh) == form
    assert fresh.state_dict().keys() == model.state_dict().keys()


@pytest.mark.parametrize(
    ("kind", "form"), [(kind, "pooled") for kind in KINDS] + [("create", "per-sample")]
)
def test_the_reloaded_model_predicts_as_the_original_under_the_same_seed(kind, form, tmp_path):
    model = set_temperature(_build(kind, seed=0), 0.6, form=form)
    fresh = _reloaded(model, kind, tmp_path)
    assert torch.equal(_probs(fresh), _probs(model))


@pytest.mark.parametrize("kind", KINDS)
def test_a_temperature_saved_without_a_form_flag_loads_as_per_sample(kind, tmp_path):
    state = set_temperature(_build(kind, seed=0), 2.5, form="pooled").state_dict()
    del state[POOLED_BUFFER]  # as saved before the pooled form existed
    fresh = _build(kind, seed=1)
    fresh.load_state_dict(_round_trip(state, tmp_path))
    assert (temperature_of(fresh), temperature_form(fresh)) == (2.5, "per-sample")
    assert POOLED_BUFFER not in fresh.state_dict()


@pytest.mark.parametrize("kind", KINDS)
def test_loading_an_uncalibrated_state_dict_uncalibrates_a_calibrated_model(kind, tmp_path):
    state = _build(kind, seed=0).state_dict()
    fresh = set_temperature(_build(kind, seed=1), 3.0, form="pooled")
    fresh.load_state_dict(_round_trip(state, tmp_path))
    assert temperature_of(fresh) is None
    assert TEMPERATURE_BUFFER not in fresh.state_dict()


@pytest.mark.parametrize("kind", ["create", "compat-bbb-lenet"])
def test_loading_replaces_the_temperature_and_form_a_model_had(kind, tmp_path):
    state = set_temperature(_build(kind, seed=0), 1.5, form="per-sample").state_dict()
    fresh = set_temperature(_build(kind, seed=1), 3.0, form="pooled")
    fresh.load_state_dict(_round_trip(state, tmp_path))
    assert (temperature_of(fresh), temperature_form(fresh)) == (1.5, "per-sample")
    assert POOLED_BUFFER not in fresh.state_dict()


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("kind", ["create", "create-packed-members", "compat-lrt-alexnet"])
def test_a_calibrated_model_reloads_through_the_library_checkpoint(kind, form, tmp_path):
    model = set_temperature(_build(kind, seed=0), 1.25, form=form)
    path = save_checkpoint(
        tmp_path / "model.safetensors", model_state=model.state_dict(), metadata={}
    )
    fresh = _build(kind, seed=1)
    load_model_state(fresh, load_checkpoint(path).model_state)
    assert (temperature_of(fresh), temperature_form(fresh)) == (1.25, form)


def test_a_calibrated_state_dict_file_loads_through_the_legacy_reader(tmp_path):
    model = set_temperature(_build("create", seed=0), 1.25, form="pooled")
    torch.save(model.state_dict(), tmp_path / "model.pt")
    fresh = _build("create", seed=1)
    fresh.load_state_dict(load_legacy_state_dict(tmp_path / "model.pt"))
    assert (temperature_of(fresh), temperature_form(fresh)) == (1.25, "pooled")


def test_a_library_model_inside_a_users_module_loads_its_temperature_under_its_prefix():
    def wrapped(seed: int) -> nn.Module:
        return nn.ModuleDict({"classifier": _build("create", seed)})

    model = wrapped(0)
    set_temperature(model["classifier"], 1.5, form="per-sample")
    fresh = wrapped(1)
    fresh.load_state_dict(model.state_dict())
    assert temperature_of(fresh["classifier"]) == 1.5
    assert temperature_of(fresh) is None


def test_the_load_hook_survives_deepcopy_and_pickling():
    state = set_temperature(_build("to_bayesian", seed=0), 1.5).state_dict()
    buffer = io.BytesIO()
    torch.save(_build("to_bayesian", seed=1), buffer)
    buffer.seek(0)
    pickled = torch.load(buffer, weights_only=False)
    copied = copy.deepcopy(_build("to_bayesian", seed=1))
    for fresh in (pickled, copied):
        fresh.load_state_dict(state)
        assert temperature_of(fresh) == 1.5


def test_registering_twice_keeps_one_hook():
    model = register_temperature_state(_build("create", seed=0))
    register_temperature_state(bayescnn.to_bayesian(model, inplace=True))
    assert len(model._load_state_dict_pre_hooks) == 1


def test_a_model_built_by_hand_loads_a_calibrated_state_dict_once_registered():
    state = set_temperature(_plain_cnn(), 2.0, form="pooled").state_dict()
    with pytest.raises(RuntimeError, match="Unexpected key"):
        _plain_cnn().load_state_dict(state)
    fresh = register_temperature_state(_plain_cnn())
    fresh.load_state_dict(state)
    assert (temperature_of(fresh), temperature_form(fresh)) == (2.0, "pooled")


@pytest.mark.parametrize("value", [float("nan"), -1.0, 0.0])
def test_a_state_dict_with_an_invalid_temperature_does_not_load(value):
    state = _build("create", seed=0).state_dict()
    state[TEMPERATURE_BUFFER] = torch.tensor(value)
    with pytest.raises(RuntimeError, match=TEMPERATURE_BUFFER):
        _build("create", seed=1).load_state_dict(state)


def test_a_form_flag_saved_as_false_loads_strictly_as_per_sample():
    state = set_temperature(_build("create", seed=0), 2.0, form="pooled").state_dict()
    state[POOLED_BUFFER] = torch.tensor(False)
    fresh = _build("create", seed=1)
    fresh.load_state_dict(state)
    assert (temperature_of(fresh), temperature_form(fresh)) == (2.0, "per-sample")
