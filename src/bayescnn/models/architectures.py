"""The original papers' architectures, defined once as ordered (name, layer) lists.

Names follow the original code (``conv1``, ``act1``, ``pool1``, ..., ``flatten``,
``fc1``/``classifier``) so that its checkpoints load. The flatten size is computed from
the image size, never hard-coded. Hidden widths go through ``f.hidden`` (the identity
unless a packed ensemble's members are made narrower, :class:`LayerFactory`).
"""

from __future__ import annotations

from torch import nn

from bayescnn.models.factory import LayerFactory, conv_output_size

Layers = list[tuple[str, nn.Module]]


def lenet(f: LayerFactory, in_channels: int, num_classes: int, image_size: int) -> Layers:
    """LeNet-5: conv 6@5 > act > pool2 > conv 16@5 > act > pool2 > fc120 > act > fc84 > act > fc."""
    size = conv_output_size(conv_output_size(image_size, 5), 2, 2)
    size = conv_output_size(conv_output_size(size, 5), 2, 2)
    c1, c2 = f.hidden(6), f.hidden(16)
    return [
        ("conv1", f.conv2d(in_channels, c1, 5, padding=0)),
        ("act1", f.activation()),
        ("pool1", nn.MaxPool2d(kernel_size=2, stride=2)),
        ("conv2", f.conv2d(c1, c2, 5, padding=0)),
        ("act2", f.activation()),
        ("pool2", nn.MaxPool2d(kernel_size=2, stride=2)),
        ("flatten", nn.Flatten()),
        ("fc1", f.linear(c2 * size * size, f.hidden(120))),
        ("act3", f.activation()),
        ("fc2", f.linear(f.hidden(120), f.hidden(84))),
        ("act4", f.activation()),
        ("fc3", f.linear(f.hidden(84), num_classes)),
    ]


def alexnet(f: LayerFactory, in_channels: int, num_classes: int, image_size: int) -> Layers:
    """AlexNet as in the original: five convs (64@11/4, 192@5, 384@3, 256@3, 128@3), one fc."""
    size = conv_output_size(conv_output_size(image_size, 11, 4, 5), 2, 2)
    size = conv_output_size(conv_output_size(size, 5, 1, 2), 2, 2)
    size = conv_output_size(size, 2, 2)
    c1, c2, c3, c4, c5 = (f.hidden(c) for c in (64, 192, 384, 256, 128))
    return [
        ("conv1", f.conv2d(in_channels, c1, 11, stride=4, padding=5)),
        ("act1", f.activation()),
        ("pool1", nn.MaxPool2d(kernel_size=2, stride=2)),
        ("conv2", f.conv2d(c1, c2, 5, padding=2)),
        ("act2", f.activation()),
        ("pool2", nn.MaxPool2d(kernel_size=2, stride=2)),
        ("conv3", f.conv2d(c2, c3, 3, padding=1)),
        ("act3", f.activation()),
        ("conv4", f.conv2d(c3, c4, 3, padding=1)),
        ("act4", f.activation()),
        ("conv5", f.conv2d(c4, c5, 3, padding=1)),
        ("act5", f.activation()),
        ("pool3", nn.MaxPool2d(kernel_size=2, stride=2)),
        ("flatten", nn.Flatten()),
        ("classifier", f.linear(c5 * size * size, num_classes)),
    ]


def three_conv_three_fc(
    f: LayerFactory, in_channels: int, num_classes: int, image_size: int
) -> Layers:
    """3Conv3FC: conv 32@5 > conv 64@5 > conv 128@5, each with maxpool 3/2; fc1000 > fc1000 > fc."""
    size = conv_output_size(conv_output_size(image_size, 5, 1, 2), 3, 2)
    size = conv_output_size(conv_output_size(size, 5, 1, 2), 3, 2)
    size = conv_output_size(conv_output_size(size, 5, 1, 1), 3, 2)
    c1, c2, c3, hidden = f.hidden(32), f.hidden(64), f.hidden(128), f.hidden(1000)
    return [
        ("conv1", f.conv2d(in_channels, c1, 5, padding=2)),
        ("act1", f.activation()),
        ("pool1", nn.MaxPool2d(kernel_size=3, stride=2)),
        ("conv2", f.conv2d(c1, c2, 5, padding=2)),
        ("act2", f.activation()),
        ("pool2", nn.MaxPool2d(kernel_size=3, stride=2)),
        ("conv3", f.conv2d(c2, c3, 5, padding=1)),
        ("act3", f.activation()),
        ("pool3", nn.MaxPool2d(kernel_size=3, stride=2)),
        ("flatten", nn.Flatten()),
        ("fc1", f.linear(c3 * size * size, hidden)),
        ("act4", f.activation()),
        ("fc2", f.linear(hidden, hidden)),
        ("act5", f.activation()),
        ("fc3", f.linear(hidden, num_classes)),
    ]
