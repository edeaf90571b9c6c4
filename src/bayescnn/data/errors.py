"""Exceptions raised by the data layer."""


class DataNotFoundError(FileNotFoundError):
    """No copy of a dataset was found in any searched folder and none was downloaded."""


class CorruptDataError(ValueError):
    """A dataset file exists but is truncated, malformed or otherwise unreadable."""
