"""Errors of a training run."""

from bayescnn.errors import BayesCNNError


class DivergenceError(BayesCNNError, RuntimeError):
    """The loss or KL became NaN or infinite; the last good checkpoint is kept."""
