"""``from bayescnn.compat.BBB import BBBLinear, BBBConv2d``: the original ``layers.BBB``."""

from bayescnn.compat.layers import BBB_Conv2d as BBBConv2d
from bayescnn.compat.layers import BBB_Linear as BBBLinear

__all__ = ["BBBConv2d", "BBBLinear"]
