"""The model zoo: LeNet-5, AlexNet, 3Conv3FC and ResNet-18, Bayesian or frequentist."""

from bayescnn.models.factory import LayerFactory
from bayescnn.models.registry import MODEL_NAMES, create

__all__ = ["MODEL_NAMES", "LayerFactory", "create"]
