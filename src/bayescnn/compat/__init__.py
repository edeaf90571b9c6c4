"""The original research code's API, running on the new core.

Users of PyTorch-BayesianCNN can keep their code: subclass :class:`ModuleWrapper`,
use ``BBBConv2d``/``BBBLinear`` from :mod:`bayescnn.compat.BBB` or
:mod:`bayescnn.compat.BBB_LRT`, a :class:`FlattenLayer`, and a ``priors`` dict. The KL
is now KL(q || p), and the original's checkpoints load.
"""

from bayescnn.compat.layers import (
    BBB_Conv2d,
    BBB_Linear,
    BBB_LRT_Conv2d,
    BBB_LRT_Linear,
    FlattenLayer,
    ModuleWrapper,
)
from bayescnn.compat.models import BBB3Conv3FC, BBBAlexNet, BBBLeNet
from bayescnn.compat.priors_dict import DEFAULT_PRIORS

__all__ = [
    "DEFAULT_PRIORS",
    "BBB3Conv3FC",
    "BBBAlexNet",
    "BBBLeNet",
    "BBB_Conv2d",
    "BBB_LRT_Conv2d",
    "BBB_LRT_Linear",
    "BBB_Linear",
    "FlattenLayer",
    "ModuleWrapper",
]
