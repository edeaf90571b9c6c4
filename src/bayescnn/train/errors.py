"""Errors of a training run."""


class DivergenceError(RuntimeError):
    """The loss or KL became NaN or infinite; the last good checkpoint is kept."""
