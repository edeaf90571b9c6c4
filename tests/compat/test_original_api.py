"""Code written for the original research repository runs unchanged, with the correct KL."""

import pytest
import torch
from torch import nn

import bayescnn
from bayescnn.compat import BBB3Conv3FC, BBBAlexNet, BBBLeNet, FlattenLayer, ModuleWrapper
from bayescnn.compat.BBB import BBBConv2d, BBBLinear
from bayescnn.compat.BBB_LRT import BBBConv2d as LRTConv2d


class ReadmeNet(ModuleWrapper):
    """The custom network of the original README (its ``strides`` spelling included)."""

    def __init__(self):
        super().__init__()
        self.conv = BBBConv2d(3, 16, 5, strides=2)
        self.bn = nn.BatchNorm2d(16)
        self.relu = nn.ReLU()
        self.flatten = FlattenLayer(800)
        self.fc = BBBLinear(800, 10)


def test_the_readme_custom_network_runs_and_returns_logits_and_kl():
    logits, kl = ReadmeNet()(torch.randn(4, 3, 13, 23))  # 16 x 5 x 10 = 800 features
    assert logits.shape == (4, 10)
    assert kl.ndim == 0 and kl.item() > 0


def test_model_wrapper_kl_is_kl_of_posterior_to_prior():
    layer = BBBLinear(1, 1, bias=False, priors={"prior_mu": 0, "prior_sigma": 0.1})
    with torch.no_grad():
        layer.weight_mu.fill_(0.3)
        layer.weight_rho.fill_(torch.log(torch.expm1(torch.tensor(0.05))).item())
    assert layer.kl_loss().item() == pytest.approx(4.818, abs=1e-3)


@pytest.mark.parametrize("cls", [BBBLeNet, BBBAlexNet, BBB3Conv3FC])
@pytest.mark.parametrize("layer_type", ["lrt", "bbb"])
def test_original_model_constructors_run_on_32_pixel_inputs(cls, layer_type):
    priors = {
        "prior_mu": 0,
        "prior_sigma": 0.1,
        "posterior_mu_initial": (0, 0.1),
        "posterior_rho_initial": (-5, 0.1),
    }
    model = cls(10, 3, priors, layer_type=layer_type, activation_type="softplus")
    logits, kl = model(torch.randn(2, 3, 32, 32))
    assert logits.shape == (2, 10) and torch.isfinite(kl)


def _as_saved_by_the_original(state):
    """Rename to the original's parameter names and drop the prior buffers it never saved."""
    renamed = {}
    for key, value in state.items():
        if ".prior." in key:
            continue
        renamed[key.replace("weight_mu", "W_mu").replace("weight_rho", "W_rho")] = value
    return renamed


def test_a_state_dict_saved_by_the_original_code_loads_into_the_original_constructors():
    source = BBBLeNet(10, 1, None, "lrt", "relu")
    original_state = _as_saved_by_the_original(source.state_dict())
    assert "conv1.W_mu" in original_state and "fc3.bias_rho" in original_state
    target = BBBLeNet(10, 1, None, "lrt", "relu")
    target.load_state_dict(original_state)
    x = torch.randn(3, 1, 32, 32)
    for model in (source, target):
        bayescnn.set_posterior_mean(model)
    torch.testing.assert_close(target(x)[0], source(x)[0])


def test_original_sample_false_in_eval_mode_gives_the_mean():
    layer = LRTConv2d(1, 2, 3).eval()
    x = torch.randn(1, 1, 5, 5)
    torch.testing.assert_close(layer(x, sample=False), layer(x, sample=False))
    assert not torch.equal(layer(x), layer(x))


def test_unknown_priors_key_is_an_error_not_silently_ignored():
    with pytest.raises(ValueError, match="prior_sigmaa"):
        BBBLinear(2, 2, priors={"prior_sigmaa": 0.1})


def test_flatten_layer_with_a_wrong_size_says_so():
    with pytest.raises(ValueError, match="FlattenLayer\\(10\\) got 12"):
        FlattenLayer(10)(torch.randn(2, 3, 4))
