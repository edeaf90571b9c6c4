"""Property-based: for random layer configurations, shapes equal torch's, KL finite and >= 0,
gradients finite."""

import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from bayescnn import nn as bnn

BAYES = {1: bnn.Conv1d, 2: bnn.Conv2d, 3: bnn.Conv3d}
PLAIN = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}


@st.composite
def conv_configs(draw):
    dims = draw(st.integers(1, 3))
    groups = draw(st.sampled_from([1, 2]))
    in_channels = groups * draw(st.integers(1, 3))
    out_channels = groups * draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(dims))
    if draw(st.booleans()):
        padding, stride = "same", 1
    else:
        padding = tuple(draw(st.integers(0, 2)) for _ in range(dims))
        stride = tuple(draw(st.integers(1, 2)) for _ in range(dims))
    size = 8 if dims < 3 else 6
    return {
        "dims": dims,
        "args": (in_channels, out_channels, kernel),
        "kwargs": {
            "stride": stride,
            "padding": padding,
            "dilation": dilation,
            "groups": groups,
            "bias": draw(st.booleans()),
            "padding_mode": draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"])),
        },
        "input": (2, in_channels, *([size] * dims)),
        "estimator": draw(st.sampled_from(["bbb", "lrt", "flipout"])),
        "dtype": draw(st.sampled_from([torch.float32, torch.float64])),
    }


@settings(max_examples=60, deadline=None)
@given(conv_configs())
def test_random_conv_configurations_behave_like_torch(config):
    torch.manual_seed(0)
    x = torch.randn(config["input"], dtype=config["dtype"])
    reference = PLAIN[config["dims"]](*config["args"], **config["kwargs"], dtype=config["dtype"])
    layer = BAYES[config["dims"]](
        *config["args"], **config["kwargs"], estimator=config["estimator"], dtype=config["dtype"]
    )
    out = layer(x)
    assert out.shape == reference(x).shape and out.dtype == config["dtype"]
    kl = layer.kl()
    assert torch.isfinite(kl) and kl >= 0
    (out.square().mean() + kl).backward()
    for parameter in layer.parameters():
        assert parameter.grad is not None and torch.isfinite(parameter.grad).all()


@settings(max_examples=30, deadline=None)
@given(
    in_features=st.integers(1, 16),
    out_features=st.integers(1, 16),
    leading=st.lists(st.integers(1, 3), min_size=1, max_size=3),
    bias=st.booleans(),
    estimator=st.sampled_from(["bbb", "lrt", "flipout"]),
)
def test_random_linear_configurations_behave_like_torch(
    in_features, out_features, leading, bias, estimator
):
    x = torch.randn(*leading, in_features)
    layer = bnn.Linear(in_features, out_features, bias, estimator=estimator)
    out = layer(x)
    assert out.shape == nn.Linear(in_features, out_features, bias)(x).shape
    kl = layer.kl()
    assert torch.isfinite(kl) and kl >= 0
    (out.sum() + kl).backward()
    assert all(torch.isfinite(p.grad).all() for p in layer.parameters())
