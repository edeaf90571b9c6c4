"""bayescnn: Bayesian convolutional networks trained by variational inference."""

__version__ = "0.1.0"
