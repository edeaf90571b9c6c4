"""Command-line flags generated from :class:`TrainConfig`, one per field, with help text."""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any

from bayescnn import defaults
from bayescnn.cli.renamed_flags import RenamedFlag
from bayescnn.cli.samples_option import samples_default
from bayescnn.deprecation import deprecate
from bayescnn.errors import ConfigError
from bayescnn.models import list_models
from bayescnn.runs.config import CHOICES, TrainConfig

HELP: dict[str, str] = {
    "model": "a registered architecture ({models}) or package.module:function returning an "
    "nn.Module (called with num_classes= and in_channels=; made Bayesian by to_bayesian)",
    "dataset": "mnist, fashion-mnist, cifar10, cifar100, svhn, or a folder of class subfolders",
    "bayesian_layers": "which weight layers are Bayesian: linear (the fully connected ones), "
    "all, or comma-separated globs over layer names (e.g. 'fc3') (default: linear for one "
    "network, every layer for one without fully connected layers, for --members K > 1 and "
    "for rank1)",
    "estimator": "Bayesian layers' gradient estimator: bbb (weight sampling), lrt (local "
    "reparameterisation) or flipout (default: flipout for one network, bbb for --members K > 1)",
    "activation": "activation of the zoo's architectures (the original's was softplus)",
    "dropout": "MC dropout rate before each fully connected layer, kept on at prediction "
    "(a baseline, usually with --frequentist; 0: off)",
    "posterior_family": "mean-field (a Gaussian per weight) or rank1 (Dusenberry et al. "
    "2020: K mixture components of rank-1 factors on shared weights; --prior-* then set "
    "the factors' prior, default N(1, 0.1^2), and --posterior-mu-init their means' init, "
    "default N(1, 0.5^2))",
    "members": "K members the network runs at once, predicting with K x S samples: the "
    "mixture components of --posterior-family rank1 (default: 4), or for mean-field "
    "(Bayesian or --frequentist) K > 1 members packed in one network (grouped layers, each "
    "member its own parameters; lenet, alexnet, 3conv3fc)",
    "member_width": "factor of the packed members' hidden widths (Packed-Ensembles' alpha; "
    "< 1 shrinks each member towards one network's cost)",
    "prior": "gaussian N(prior_mu, prior_sigma^2), mixture (Blundell's scale mixture) or a "
    "registered prior",
    "prior_mu": "mean of the Gaussian prior",
    "prior_sigma": "standard deviation of the Gaussian prior",
    "prior_pi": "weight of the wide component of the scale-mixture prior, in (0, 1]",
    "prior_sigma1": "standard deviation of the mixture's first component",
    "prior_sigma2": "standard deviation of the mixture's second component",
    "posterior_mu_init": "MEAN STD of a normal init of the posterior means (default: PyTorch's init)",
    "posterior_rho_init": "MEAN STD of a normal init of rho, sigma = softplus(rho)",
    "rho_scale": "C > 0: the layers store rho / C, so Adam moves rho C times faster than the "
    "means (> 1: a wider posterior sooner, more epistemic uncertainty, less calibrated); "
    "kept with the model, so a plain Adam loop on it gets the same spread (default: 3 for "
    "one network, 1 for --members K > 1 and for rank1)",
    "data_dir": "folder searched first for the data (then ./data, then system folders)",
    "download": "download the dataset with torchvision if it is not found",
    "image_size": "resize images to this square size once, at load time (the original used 32)",
    "valid_size": "fraction of the training set held out for validation",
    "train_subset": "train on only the first N training examples and validate on the first "
    "N // 4 validation examples (quick runs; default: all)",
    "augment": "random crop/flip augmentation (default: on for CIFAR/SVHN, off for MNIST-likes)",
    "epochs": "number of epochs",
    "batch_size": "minibatch size",
    "lr": "learning rate",
    "rho_lr_scale": "learning rate of the posterior's rho over the rest's, in the optimiser, "
    "on top of --rho-scale (use --rho-scale: the spread then comes with the model)",
    "optimizer": "the optimiser",
    "momentum": "SGD momentum",
    "weight_decay": "L2 weight decay (usually 0 for Bayesian models: the prior regularises)",
    "scheduler": "plateau (ReduceLROnPlateau on the validation NLL), cosine or none",
    "patience": "ReduceLROnPlateau patience in epochs",
    "grad_clip": "clip the gradient norm to this value (0: off)",
    "amp": "bfloat16 autocast for the forward pass (the KL stays in float32)",
    "compile": "torch.compile the model",
    "beta": "KL weight: a number, standard (the ELBO), blundell or soenderby (warm-up)",
    "likelihood": "the ELBO's likelihood term: mean (the expected NLL) or logmeanexp (the "
    "original's predictive NLL)",
    "train_samples": "Monte-Carlo samples per training step (vectorised)",
    "valid_samples": "Monte-Carlo samples per validation prediction (default: "
    f"{samples_default(defaults.VALID_SAMPLES)}; --members K > 1 and rank1 have members)",
    "test_samples": "Monte-Carlo samples per test prediction (default: "
    f"{samples_default()}; --members K > 1 and rank1 have members)",
    "calibrate": "after training, fit one temperature to the predictive on the validation "
    "split (RUN/calibration.json; test.json reports the raw predictive beside it)",
    "temperature_form": "where the temperature divides: pooled (the averaged predictive, "
    "softmax(log p / T)) or per-sample (each sample's logits)",
    "seed": "random seed (runs are deterministic on the CPU)",
    "device": "auto, cpu, cuda or cuda:N",
    "out_dir": "folder under which run folders are created",
    "run_name": "name of the run folder (default: dataset-model-kind-time)",
    "log_every": "check the loss for divergence and refresh the progress bar every N steps",
    "tensorboard": "also write each epoch's metrics as TensorBoard scalars into "
    "RUN/tensorboard/ (needs pip install 'bayescnn[tensorboard]')",
}


RENAMED_FLAGS: dict[str, str] = {"objective": "likelihood"}
"""Old flags still accepted (with a warning on stderr): old name -> field."""


def flag(name: str) -> str:
    """The command-line flag of a config key: ``batch_size`` -> ``--batch-size``."""
    return "--" + name.replace("_", "-")


_RENAMED_FLAG_DEPRECATIONS = {
    old: deprecate(f"bayescnn train {flag(old)}", f"bayescnn train {flag(new)}")
    for old, new in RENAMED_FLAGS.items()
}


def add_train_options(parser: argparse.ArgumentParser) -> None:
    """One flag per config field; values default to None so a config file can fill them."""
    hints = typing.get_type_hints(TrainConfig)
    defaults = TrainConfig()
    group = parser.add_argument_group("training options (also config-file keys, with _ for -)")
    for field in dataclasses.fields(TrainConfig):
        hint = hints[field.name]
        options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        base = next(o for o in options if o is not type(None))
        if field.name == "bayesian":
            group.add_argument(
                "--frequentist",
                dest="bayesian",
                action="store_false",
                default=None,
                help="train the frequentist twin (plain layers, same architecture)",
            )
            continue
        text = HELP[field.name]
        default = getattr(defaults, field.name)
        if "(default:" not in text and default is not None:  # None: the help says what
            text += f" (default: {default})"
        text = text.replace("{models}", ", ".join(list_models()))
        choices = CHOICES.get(field.name) if field.name != "model" else None
        if base is bool:
            group.add_argument(
                flag(field.name), action=argparse.BooleanOptionalAction, default=None, help=text
            )
        elif typing.get_origin(base) is list:
            group.add_argument(
                flag(field.name),
                nargs=2,
                type=float,
                metavar=("MEAN", "STD"),
                default=None,
                help=text,
            )
        elif choices is not None:
            group.add_argument(
                flag(field.name), type=str.lower, choices=choices.names(), default=None, help=text
            )
        else:
            group.add_argument(flag(field.name), type=base, default=None, help=text)
    for old, new in RENAMED_FLAGS.items():
        group.add_argument(
            flag(old),
            dest=new,
            type=str.lower,
            choices=CHOICES[new].names() if new in CHOICES else None,
            action=RenamedFlag,
            deprecation=_RENAMED_FLAG_DEPRECATIONS[old],
            default=None,
        )


def train_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The config fields given on the command line."""
    return {
        field.name: getattr(args, field.name)
        for field in dataclasses.fields(TrainConfig)
        if getattr(args, field.name, None) is not None
    }


def flag_error(error: ConfigError, given: Mapping[str, Any]) -> ConfigError:
    """``error`` naming the flag (``--batch-size``) instead of the key it starts with
    (``batch_size``) where ``given`` (the flags' values) set that key; else ``error``."""
    if error.key is None or error.key not in given:
        return error
    text, name = str(error), flag(error.key)
    for prefix in (f"config key {error.key!r}", error.key):
        if text.startswith(prefix):
            return ConfigError(name + text[len(prefix) :], key=error.key)
    return error  # e.g. "unknown model 'vgg' ...": clear without the flag
