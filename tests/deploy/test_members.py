"""Members networks in deployment: the posterior-mean network keeps its members; the
exporters, whose graphs hold one network's logits, refuse them."""

from __future__ import annotations

import pytest
import torch

import bayescnn
from bayescnn.deploy import ExportError, export


def test_to_deterministic_keeps_each_members_posterior_mean_network():
    model = bayescnn.models.create("lenet", members=2, image_size=28)
    x = torch.randn(3, 1, 28, 28)
    with bayescnn.posterior_mean(model):
        expected = model(x)
    plain = bayescnn.to_deterministic(model)
    assert not bayescnn.nn.bayesian_layers(plain)
    torch.testing.assert_close(plain(x), expected)


@pytest.mark.parametrize("samples", [None, 4])
@pytest.mark.parametrize("format", ["onnx", "torch-export"])
def test_exporting_a_members_network_is_refused_naming_the_alternative(format, samples, tmp_path):
    model = bayescnn.models.create("lenet", members=2, image_size=28)
    with pytest.raises(ExportError, match=r"2 members .* bayescnn\.predict"):
        export(model, torch.randn(1, 1, 28, 28), tmp_path / "m", format=format, samples=samples)
