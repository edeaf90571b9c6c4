"""``from bayescnn.compat.BBB_LRT import BBBLinear, BBBConv2d``: the original ``layers.BBB_LRT``."""

from bayescnn.compat.layers import BBB_LRT_Conv2d as BBBConv2d
from bayescnn.compat.layers import BBB_LRT_Linear as BBBLinear

__all__ = ["BBBConv2d", "BBBLinear"]
