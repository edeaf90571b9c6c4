"""S stacked weight sets in one op give exactly what S separate ops give."""

import pytest
import torch

from bayescnn import nn as bnn
from bayescnn.nn import conv

S, B = 3, 2


def _layers():
    return [
        bnn.Linear(5, 4),
        bnn.Conv1d(4, 6, 3, padding=1),
        bnn.Conv2d(4, 6, (3, 2), stride=2, groups=2),
        bnn.Conv2d(4, 4, 3, padding="same", padding_mode="reflect", bias=False),
        bnn.Conv3d(2, 4, 2, groups=2),
    ]


def _input(layer, rows):
    if isinstance(layer, bnn.Linear):
        return torch.randn(rows, 5)
    return torch.randn(rows, layer.in_channels, *([6] * layer.num_spatial_dims))


@pytest.mark.parametrize("plain_on_cpu", [True, False], ids=["plain", "grouped"])
@pytest.mark.parametrize("tiled", [False, True], ids=["shared-input", "tiled-input"])
@pytest.mark.parametrize("layer", _layers(), ids=lambda m: type(m).__name__)
def test_stacked_weight_sets_equal_a_loop_of_single_ops(layer, tiled, plain_on_cpu, monkeypatch):
    monkeypatch.setattr(conv, "PLAIN_CONVS_ON_CPU", plain_on_cpu)
    q = layer.posterior()
    weights, biases = q.draw(S)
    x = _input(layer, S * B if tiled else B)
    blocks = x.reshape(S, B, *x.shape[1:]) if tiled else [x] * S
    expected = torch.cat(
        [
            layer.functional_op(block, weights[s], None if biases is None else biases[s])
            for s, block in enumerate(blocks)
        ]
    )
    with torch.no_grad():
        torch.testing.assert_close(layer.functional_op_many(x, weights, biases, tiled), expected)
