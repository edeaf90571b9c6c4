"""The ``--samples`` option of the commands that score a model, and the words that state
its default (the model's: :func:`bayescnn.nn.default_samples`), written once from
:mod:`bayescnn.defaults`."""

from __future__ import annotations

import argparse

from bayescnn import defaults

__all__ = ["add_samples_option", "samples_default"]


def samples_default(one_network: int = defaults.SAMPLES) -> str:
    """``"25 for one network, 8 of each member of a network of members"``, from the defaults
    (``one_network``: the count of one network, e.g. the validation's)."""
    of_each = min(one_network, defaults.MEMBER_SAMPLES)
    return f"{one_network} for one network, {of_each} of each member of a network of members"


def add_samples_option(parser: argparse.ArgumentParser, *, whose: str = "the model's") -> None:
    """``--samples N`` (default ``None``: ``whose`` count, :func:`samples_default`)."""
    parser.add_argument(
        "--samples",
        type=int,
        default=None,
        help=f"Monte-Carlo samples (default: {whose}, {samples_default()})",
    )
