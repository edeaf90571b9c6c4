"""Exceptions raised by the data layer."""

from bayescnn.errors import BayesCNNError


class DataNotFoundError(BayesCNNError, FileNotFoundError):
    """No copy of a dataset was found in any searched folder and none was downloaded."""


class CorruptDataError(BayesCNNError, ValueError):
    """A dataset file exists but is truncated, malformed or otherwise unreadable."""
