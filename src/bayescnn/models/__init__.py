"""The model zoo: LeNet-5, AlexNet, 3Conv3FC and ResNet-18, Bayesian or frequentist,
and a registry that users extend with their own architectures."""

from bayescnn.models.creation import create
from bayescnn.models.factory import ACTIVATIONS, LayerFactory
from bayescnn.models.registry import MODELS, list_models, register_model

__all__ = ["ACTIVATIONS", "MODELS", "LayerFactory", "create", "list_models", "register_model"]
