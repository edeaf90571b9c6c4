"""The training configuration: one typed dataclass, read from and written to YAML or TOML."""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bayescnn import defaults
from bayescnn.calibration.temperature import TemperatureForm
from bayescnn.deprecation import deprecate
from bayescnn.errors import ConfigError, InvalidArgumentError, MissingFileError
from bayescnn.models import ACTIVATIONS, MODELS
from bayescnn.models.creation import model_bayesian_layers, model_estimator, model_rho_scale
from bayescnn.nn.convert import layer_patterns
from bayescnn.nn.estimators import Estimator
from bayescnn.nn.members import member_samples
from bayescnn.nn.spec import PosteriorFamily, check_init_pair, check_rho_scale
from bayescnn.priors.registry import PRIORS
from bayescnn.registry import Choice, Registry
from bayescnn.runs.choices import OPTIMIZERS, SCHEDULERS
from bayescnn.train.beta import KLWeight
from bayescnn.train.objective import LIKELIHOODS

CHOICES: dict[str, Registry[Any] | type[Choice]] = {
    "posterior_family": PosteriorFamily,  # first: the model's unset defaults depend on it
    "model": MODELS,
    "estimator": Estimator,
    "activation": ACTIVATIONS,
    "prior": PRIORS,
    "optimizer": OPTIMIZERS,
    "scheduler": SCHEDULERS,
    "likelihood": LIKELIHOODS,
    "temperature_form": TemperatureForm,
}
"""The config fields that name a registry entry or an enum member, and their registries
or enums (both list their ``names()``)."""

RENAMED_KEYS: dict[str, str] = {"objective": "likelihood"}
"""Old config keys and their new names; files and checkpoints with the old ones still load."""

_RENAMED_KEY_DEPRECATIONS = {
    old: deprecate(f"the config key {old!r}", f"the config key {new!r}")
    for old, new in RENAMED_KEYS.items()
}

ADDED_KEYS: dict[str, Any] = {
    "rho_scale": 1.0,
    "bayesian_layers": "all",
    "temperature_form": "per-sample",
}
"""Keys added after runs were saved, with the value every run saved without them had: a
saved run's config (:meth:`TrainConfig.from_saved`) rebuilds its model as it was trained,
whatever today's default."""

NOT_COMPARED_KEYS: tuple[str, ...] = (
    "data_dir",
    "download",
    "device",
    "out_dir",
    "run_name",
    "log_every",
    "tensorboard",
)
"""Keys that say where a run finds its data, computes and writes, and how it reports its
progress, not what it trains: :meth:`TrainConfig.differences` leaves them out, so a run
moved to another folder, whose data moved, or that is continued on another device (a
requeued job on another node), is still the same run. Every other key, ``epochs``
included, decides the trained network or its numbers. ``device`` is compared as given
(``auto`` is saved as ``auto``, never as the device it resolved to)."""


@dataclass
class TrainConfig:
    """Everything a run depends on. Field names are the CLI flags and config-file keys.

    The model's defaults are :mod:`bayescnn.defaults` (shared with the library); the
    optimisation follows the original research code where it was sound (Adam lr 1e-3,
    batch 256, ReduceLROnPlateau patience 6, 20% validation) and fixes it where it was
    not (see :mod:`bayescnn.train.objective` for the ELBO scaling). Names (model,
    prior, optimizer, ...) are looked up in their registries; an unknown one is an error.
    """

    # what to train
    model: str = "lenet"
    dataset: str = "fashion-mnist"
    bayesian: bool = True
    bayesian_layers: str | None = None  # None: the model's default (resolved and saved)
    estimator: str | None = None  # None: the model's default (resolved and saved)
    activation: str = defaults.ACTIVATION
    dropout: float = 0.0
    posterior_family: str = defaults.POSTERIOR_FAMILY
    members: int | None = None
    member_width: float = 1.0
    # prior and posterior initialisation
    prior: str = defaults.PRIOR
    prior_mu: float = defaults.PRIOR_MU
    prior_sigma: float = defaults.PRIOR_SIGMA
    prior_pi: float = defaults.MIXTURE_PI
    prior_sigma1: float = defaults.MIXTURE_SIGMA1
    prior_sigma2: float = defaults.MIXTURE_SIGMA2
    posterior_mu_init: list[float] | None = None
    posterior_rho_init: list[float] = field(
        default_factory=lambda: list(defaults.POSTERIOR_RHO_INIT)
    )
    rho_scale: float | None = None  # None: the model's default (resolved and saved)
    # data
    data_dir: str | None = None
    download: bool = False
    image_size: int = 32
    valid_size: float = 0.2
    train_subset: int | None = None
    augment: bool | None = None
    # optimisation
    epochs: int = 10
    batch_size: int = 256
    lr: float = defaults.LR
    rho_lr_scale: float = 1.0
    optimizer: str = "adam"
    momentum: float = 0.9
    weight_decay: float = 0.0
    scheduler: str = "plateau"
    patience: int = 6
    grad_clip: float = 0.0
    amp: bool = False
    compile: bool = False
    # the ELBO
    beta: str | float = "standard"
    likelihood: str = "mean"
    train_samples: int = 1
    valid_samples: int | None = None  # None: the model's default (resolved and saved)
    test_samples: int | None = None  # None: the model's default (resolved and saved)
    calibrate: bool = True
    temperature_form: str = defaults.TEMPERATURE_FORM
    # bookkeeping
    seed: int = 0
    device: str = "auto"
    out_dir: str = "runs"
    run_name: str | None = None
    log_every: int = 50
    tensorboard: bool = False

    def __post_init__(self) -> None:
        self._resolve_model_defaults()
        self.validate()

    def _resolve_model_defaults(self) -> None:
        """Write down the model's defaults left unset (``None``), as ``models.create``
        resolves them (:func:`~bayescnn.models.creation.model_bayesian_layers`,
        :func:`~bayescnn.models.creation.model_estimator`,
        :func:`~bayescnn.models.creation.model_rho_scale`, and the samples of
        :func:`~bayescnn.nn.member_samples`), so a saved run rebuilds the
        same network whatever later versions choose."""
        try:
            rank1 = PosteriorFamily.parse(self.posterior_family) is PosteriorFamily.RANK1
        except InvalidArgumentError:
            return  # validate() names the bad family
        members = self.members if isinstance(self.members, int) and self.members > 1 else 1
        if self.bayesian_layers is None:
            self.bayesian_layers = "all" if rank1 else str(model_bayesian_layers(None, members))
        if self.rho_scale is None:
            self.rho_scale = 1.0 if rank1 else model_rho_scale(members)
        if self.estimator is None:  # rank-1 layers take none: the one-network default
            self.estimator = defaults.ESTIMATOR if rank1 else model_estimator(members)
        axis = (self.members or defaults.RANK1_MEMBERS) if rank1 else members
        if self.valid_samples is None:
            self.valid_samples = member_samples(axis, defaults.VALID_SAMPLES)
        if self.test_samples is None:
            self.test_samples = member_samples(axis)

    def validate(self) -> None:
        """Raise ConfigError naming the first setting that is out of range or unknown."""
        for name, choices in CHOICES.items():
            value = getattr(self, name)
            if name == "model" and isinstance(value, str) and ":" in value:
                continue  # package.module:function, imported when the model is built
            try:
                choices.parse(value) if isinstance(choices, type) else choices.get(value)
            except InvalidArgumentError as error:
                raise ConfigError(str(error), key=name) from None
        positive = (
            "epochs",
            "batch_size",
            "train_samples",
            "valid_samples",
            "test_samples",
            "image_size",
        )
        for name in positive:
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}", key=name)
        if not 0.0 <= self.valid_size < 1.0:
            raise ConfigError(
                f"valid_size must be in [0, 1), got {self.valid_size}", key="valid_size"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"dropout must be in [0, 1), got {self.dropout}", key="dropout")
        for name in ("lr", "rho_lr_scale", "member_width"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name} must be > 0, got {getattr(self, name)}", key=name)
        # None: the model's default, which __post_init__ has written down
        try:
            if self.bayesian_layers is not None:
                layer_patterns(self.bayesian_layers)
        except InvalidArgumentError as error:
            raise ConfigError(str(error), key="bayesian_layers") from None
        try:
            if self.rho_scale is not None:
                check_rho_scale(self.rho_scale)
        except InvalidArgumentError as error:
            raise ConfigError(str(error), key="rho_scale") from None
        for name in ("posterior_mu_init", "posterior_rho_init"):
            try:
                if getattr(self, name) is not None:
                    check_init_pair(name, getattr(self, name))
            except InvalidArgumentError as error:
                raise ConfigError(str(error), key=name) from None
        self._validate_posterior_family()
        if self.train_subset is not None and self.train_subset < 1:
            raise ConfigError(
                f"train_subset must be >= 1, got {self.train_subset}", key="train_subset"
            )
        try:
            KLWeight.parse(self.beta)
        except InvalidArgumentError as error:
            raise ConfigError(str(error), key="beta") from None

    def _validate_posterior_family(self) -> None:
        """``members``: a rank-1 posterior's components (it takes no mean-field options),
        or K > 1 mean-field members packed in one network (every layer Bayesian or none)."""
        if self.members is not None and self.members < 1:
            raise ConfigError(f"members must be >= 1, got {self.members}", key="members")
        rank1 = PosteriorFamily.parse(self.posterior_family) is PosteriorFamily.RANK1
        selected = None if self.bayesian_layers is None else layer_patterns(self.bayesian_layers)
        if not rank1:
            packed = self.members is not None and self.members > 1
            if packed and self.bayesian and selected is not None:
                raise ConfigError(
                    "members > 1 packs whole networks: every layer Bayesian or none "
                    f"(bayesian_layers all, or --frequentist); got bayesian_layers "
                    f"{self.bayesian_layers!r}",
                    key="bayesian_layers",
                )
            return
        refused = {
            "bayesian": not self.bayesian,
            "estimator": self.estimator != defaults.ESTIMATOR,
            "bayesian_layers": selected is not None,
            # rank-1 computes softplus(rho): c = 1 (what an unset rho_scale resolves to)
            "rho_scale": self.rho_scale != 1.0,
            "member_width": self.member_width != 1.0,
        }
        for key, is_set in refused.items():
            if is_set:
                raise ConfigError(
                    f"{key} does not apply to posterior_family rank1 (every weight layer is "
                    "rank-1 and samples its factors per example); leave it at its default",
                    key=key,
                )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def differences(self, other: TrainConfig) -> dict[str, tuple[Any, Any]]:
        """The keys whose values differ between this config and ``other``, each with
        ``(this value, other's value)``, in field order; the keys of
        :data:`NOT_COMPARED_KEYS` are left out. Both configs are resolved (the model's
        defaults written down), so an unset ``rho_scale`` equals the value it resolves to."""
        mine, theirs = self.to_dict(), other.to_dict()
        return {
            key: (mine[key], theirs[key])
            for key in mine
            if key not in NOT_COMPARED_KEYS and mine[key] != theirs[key]
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        """Build a config from a mapping, rejecting unknown keys and wrong types."""
        values = upgrade_keys(values)
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ConfigError(
                f"unknown config key(s) {unknown}; see `bayescnn train --help` for the keys"
            )
        hints = typing.get_type_hints(cls)
        return cls(**{key: _coerce(key, value, hints[key]) for key, value in values.items()})

    @classmethod
    def from_saved(cls, values: dict[str, Any]) -> TrainConfig:
        """The config a run saved (its checkpoint's metadata): as :meth:`from_dict`, but a
        key the run predates takes the value it was trained with (:data:`ADDED_KEYS`)."""
        return cls.from_dict(ADDED_KEYS | values)


def upgrade_keys(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with old key names (:data:`RENAMED_KEYS`) replaced by the new ones.

    Raises ConfigError when a key is given under both names.
    """
    renamed = {old: new for old, new in RENAMED_KEYS.items() if old in values}
    for old, new in renamed.items():
        if new in values:
            raise ConfigError(f"config keys {old!r} and {new!r} are one setting; keep {new!r}")
    for old in renamed:
        _RENAMED_KEY_DEPRECATIONS[old].warn(stacklevel=3)
    return {renamed.get(key, key): value for key, value in values.items()}


def _coerce(key: str, value: Any, hint: Any) -> Any:
    """Check ``value`` against the field's type (ints accepted for floats)."""
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    for option in options:
        if option is type(None) and value is None:
            return None
        origin = typing.get_origin(option) or option
        if origin is float and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if origin is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        if origin is bool and isinstance(value, bool):
            return value
        if origin is str and isinstance(value, str):
            return value
        if origin is list and isinstance(value, list | tuple):
            return [float(v) for v in value]
    expected = " or ".join(
        getattr(o, "__name__", str(o)).replace("NoneType", "null") for o in options
    )
    raise ConfigError(
        f"config key {key!r} must be {expected}, got {value!r} ({type(value).__name__})", key=key
    )


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML (.yaml/.yml) or TOML (.toml) file of config keys."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"config file {path} does not exist")
    text = path.read_text()
    if path.suffix == ".toml":
        values = tomllib.loads(text)
    elif path.suffix in (".yaml", ".yml"):
        values = yaml.safe_load(text) or {}
    else:
        raise ConfigError(f"config file {path} must end in .yaml, .yml or .toml")
    if not isinstance(values, dict):
        raise ConfigError(f"config file {path} must hold a mapping of keys to values")
    return upgrade_keys(values)


def write_config_file(config: TrainConfig, path: str | Path) -> None:
    """Write the resolved config as YAML."""
    Path(path).write_text(yaml.safe_dump(config.to_dict(), sort_keys=False))
