"""The builder: the one place that turns a :class:`TrainConfig`'s names into objects.

Every name is looked up in its registry (models, datasets, priors, estimators,
optimisers, schedulers, objectives), so a user's registrations work from the command
line and an unknown name is an error, never a fallback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import torch
from torch import nn

from bayescnn import models
from bayescnn.data import (
    DatasetSpec,
    ImageData,
    InMemoryLoader,
    get_spec,
    load_dataset,
    train_valid_split,
)
from bayescnn.data.loader import EVALUATION_BATCH_SIZE
from bayescnn.errors import InvalidArgumentError, ModelInputError, is_input_shape_error
from bayescnn.models.creation import model_bayesian_layers
from bayescnn.nn import frozen_eval_mode, module_device
from bayescnn.nn.spec import InitPair, PosteriorFamily, PosteriorSpec
from bayescnn.priors import Prior
from bayescnn.priors.registry import PRIORS
from bayescnn.registry import call_with_accepted
from bayescnn.runs.choices import OPTIMIZERS, SCHEDULERS
from bayescnn.runs.config import TrainConfig
from bayescnn.seeding import Stream, seeded
from bayescnn.train.objective import ELBO
from bayescnn.train.step import parameter_groups

__all__ = [
    "DataSplits",
    "build_model",
    "build_objective",
    "build_optimizer",
    "build_posterior",
    "build_prior",
    "build_scheduler",
    "check_input_shape",
    "load_splits",
    "make_loader",
]


def _unchanged(config: TrainConfig, fields: dict[str, str]) -> set[str]:
    """The options (keys of ``fields``, which maps each to its config key) whose config
    value is the default: a builder that does not take them may leave them out."""
    default = TrainConfig()
    return {
        option for option, key in fields.items() if getattr(config, key) == getattr(default, key)
    }


_PRIOR_FIELDS = {
    "mu": "prior_mu",
    "sigma": "prior_sigma",
    "pi": "prior_pi",
    "sigma1": "prior_sigma1",
    "sigma2": "prior_sigma2",
}


def build_prior(config: TrainConfig) -> Prior:
    """The prior a config names, with its ``prior_*`` hyperparameters (a changed one the
    prior does not take is an error, e.g. ``prior_pi`` for the Gaussian)."""
    return call_with_accepted(
        PRIORS.get(config.prior),
        {option: getattr(config, key) for option, key in _PRIOR_FIELDS.items()},
        optional=_unchanged(config, _PRIOR_FIELDS),
        what=f"prior {config.prior!r}",
    )


def build_posterior(config: TrainConfig) -> PosteriorSpec:
    """The posterior's estimator, prior, initialisation and rho scale a config gives."""
    mu_init = config.posterior_mu_init
    # TrainConfig writes the model's estimator down when made (None is never left there)
    assert config.estimator is not None
    # the config's lists are (mean, std) pairs: TrainConfig.validate checked their length
    return PosteriorSpec(
        config.estimator,
        build_prior(config),
        mu_init=None if mu_init is None else cast(InitPair, tuple(mu_init)),
        rho_init=cast(InitPair, tuple(config.posterior_rho_init)),
        rho_scale=config.rho_scale,
    )


def build_model(config: TrainConfig, spec: DatasetSpec) -> nn.Module:
    """The model a config names, shaped for the dataset; its initial parameters are a
    function of the config's seed alone (the same on every rank)."""
    with seeded(config.seed, "cpu", stream=Stream.INIT):
        options: dict[str, Any] = {  # models.create's keywords
            "num_classes": spec.num_classes,
            "in_channels": spec.in_channels,
            "image_size": config.image_size,
            "activation": config.activation,
            "dropout": config.dropout,
        }
        if PosteriorFamily.parse(config.posterior_family) is PosteriorFamily.RANK1:
            return models.create(
                config.model, posterior_family="rank1", **options, **_rank1_posterior(config)
            )
        return models.create(
            config.model,
            bayesian=config.bayesian,
            posterior=build_posterior(config),
            bayesian_layers=_model_bayesian_layers(config),
            members=config.members,
            member_width=config.member_width,
            **options,
        )


def _model_bayesian_layers(config: TrainConfig) -> str | None:
    """The config's ``bayesian_layers`` for ``models.create``: None (the model's default)
    where it holds what the default resolves to, so that a network without fully connected
    layers is Bayesian in every layer, as ``models.create`` makes it by default, instead of
    an error; a saved run rebuilds the same way."""
    members = config.members if config.members is not None else 1
    default = model_bayesian_layers(None, members)
    return None if config.bayesian_layers == default else config.bayesian_layers


def _rank1_posterior(config: TrainConfig) -> dict[str, Any]:
    """A rank-1 model's options a config sets: its members, and the prior and inits of
    its factors where the config changes them (else the rank-1 defaults, N(1, 0.1^2))."""
    options: dict[str, Any] = {"members": config.members}
    prior_keys = {"prior": "prior", **_PRIOR_FIELDS}
    if len(_unchanged(config, prior_keys)) < len(prior_keys):
        options["prior"] = build_prior(config)
    if config.posterior_mu_init is not None:
        options["posterior_mu_init"] = tuple(config.posterior_mu_init)
    options["posterior_rho_init"] = tuple(config.posterior_rho_init)
    return options


def check_input_shape(model: nn.Module, image_shape: tuple[int, ...], config: TrainConfig) -> None:
    """Run one blank image through the model (BatchNorm statistics untouched).

    Raises:
        ModelInputError: if PyTorch reports a shape mismatch; any other error propagates.
    """
    device = module_device(model)
    try:
        with torch.no_grad(), frozen_eval_mode(model):
            model(torch.zeros((1, *image_shape), device=device))
    except RuntimeError as error:
        if not is_input_shape_error(error):
            raise
        raise ModelInputError(
            f"model {config.model!r} cannot take {tuple(image_shape)} images from "
            f"{config.dataset!r}: {str(error).splitlines()[0]}"
        ) from error


def build_optimizer(
    config: TrainConfig, model: nn.Module, device: torch.device
) -> torch.optim.Optimizer:
    """The optimiser a config names, over the model's :func:`parameter_groups` (rho at
    ``lr * rho_lr_scale``, on top of the model's own ``rho_scale``)."""
    settings = {"momentum": "momentum", "weight_decay": "weight_decay"}
    options = {
        "parameters": parameter_groups(model, config.lr, config.rho_lr_scale),
        "lr": config.lr,
        "momentum": config.momentum,
        "weight_decay": config.weight_decay,
        "device": device,
    }
    return call_with_accepted(
        OPTIMIZERS.get(config.optimizer),
        options,
        optional={"device"} | _unchanged(config, settings),
        what=f"optimizer {config.optimizer!r}",
    )


def build_scheduler(config: TrainConfig, optimizer: torch.optim.Optimizer) -> Any:
    """The learning-rate scheduler a config names (``None`` for 'none'), as ``fit`` takes it."""
    options = {"optimizer": optimizer, "epochs": config.epochs, "patience": config.patience}
    return call_with_accepted(
        SCHEDULERS.get(config.scheduler),
        options,
        optional={"epochs"} | _unchanged(config, {"patience": "patience"}),
        what=f"scheduler {config.scheduler!r}",
    )


def build_objective(config: TrainConfig, num_train: int) -> ELBO:
    """The ELBO with the config's beta, samples and likelihood term."""
    return ELBO(
        num_train,
        beta=config.beta,
        train_samples=config.train_samples,
        likelihood=config.likelihood,
    )


@dataclass
class DataSplits:
    """The three splits of a run, with the normalisation they share."""

    spec: DatasetSpec
    train: ImageData
    valid: ImageData
    test: ImageData
    augment: bool


def load_splits(config: TrainConfig) -> DataSplits:
    """Load the dataset, take the seeded validation split and an optional training subset.

    A folder without ``train``/``test`` subfolders gets a seeded 20% test split (the
    config's seed). ``train_subset`` N keeps the first N training and the first N // 4
    validation examples.
    """
    spec = get_spec(config.dataset)
    train, test = load_dataset(
        config.dataset,
        config.data_dir,
        download=config.download,
        image_size=config.image_size,
        seed=config.seed,
    )
    if len(train) == 0:
        raise InvalidArgumentError(f"dataset {config.dataset!r} has no training examples")
    train, valid = train_valid_split(train, config.valid_size, seed=config.seed)
    if config.train_subset is not None:
        train = train.subset(torch.arange(min(config.train_subset, len(train))))
        valid = valid.subset(torch.arange(min(max(config.train_subset // 4, 1), len(valid))))
    augment = spec.augment if config.augment is None else config.augment
    return DataSplits(spec, train, valid, test, augment)


def make_loader(
    data: ImageData,
    splits: DataSplits,
    config: TrainConfig,
    device: torch.device,
    *,
    train: bool,
    rank: int = 0,
    world_size: int = 1,
) -> InMemoryLoader:
    """The in-memory loader of one split: shuffled, augmented and sharded when training."""
    return InMemoryLoader(
        data,
        config.batch_size if train else max(config.batch_size, EVALUATION_BATCH_SIZE),
        shuffle=train,
        mean=splits.spec.mean,
        std=splits.spec.std,
        seed=config.seed,
        device=device,
        augment=train and splits.augment,
        flip=splits.spec.train_flip,
        rank=rank,
        world_size=world_size,
    )
