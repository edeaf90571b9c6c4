"""to_deterministic: the posterior-mean network as plain torch layers, the inverse of to_bayesian."""

import pytest
import torch
import torchvision
from torch import nn

import bayescnn
from bayescnn import nn as bnn
from bayescnn.compat import BBBLeNet

ESTIMATORS = ["bbb", "lrt", "flipout"]


def _posterior_mean_output(model, x):
    with torch.no_grad(), bayescnn.posterior_mean(model):
        return model(x)


def _randomise_posterior(model, seed=0):
    """A posterior with sizeable sigma, so sampling and the mean network differ."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in bnn.bayesian_layers(model):
            for mu, rho in ((layer.weight_mu, layer.weight_rho), (layer.bias_mu, layer.bias_rho)):
                if mu is not None:
                    mu.copy_(torch.randn(mu.shape, generator=generator) * 0.3)
                    rho.uniform_(-3, -1, generator=generator)
    return model


LAYERS = {
    "linear": (lambda e: bnn.Linear(6, 4, estimator=e), (5, 6)),
    "linear-no-bias": (lambda e: bnn.Linear(6, 4, bias=False, estimator=e), (5, 6)),
    "conv1d-strided-dilated": (
        lambda e: bnn.Conv1d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2, estimator=e),
        (3, 4, 17),
    ),
    "conv2d-same-reflect": (
        lambda e: bnn.Conv2d(3, 4, (3, 5), padding="same", padding_mode="reflect", estimator=e),
        (2, 3, 9, 11),
    ),
    "conv2d-valid-circular": (
        lambda e: bnn.Conv2d(
            4, 8, 3, padding="valid", groups=4, bias=False, padding_mode="circular", estimator=e
        ),
        (2, 4, 7, 7),
    ),
    "conv2d-replicate": (
        lambda e: bnn.Conv2d(
            2, 3, 3, stride=(2, 1), padding=(1, 2), padding_mode="replicate", estimator=e
        ),
        (2, 2, 8, 8),
    ),
    "conv3d": (lambda e: bnn.Conv3d(2, 3, 3, padding=1, estimator=e), (2, 2, 5, 6, 4)),
}


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("name", LAYERS)
def test_each_layer_computes_what_its_bayesian_twin_computes_at_the_posterior_mean(name, estimator):
    make, shape = LAYERS[name]
    torch.manual_seed(0)
    model = _randomise_posterior(nn.Sequential(make(estimator), nn.Tanh()))
    x = torch.randn(shape)
    plain = bayescnn.to_deterministic(model)
    torch.testing.assert_close(plain(x), _posterior_mean_output(model, x), rtol=1e-6, atol=1e-6)


def test_plain_layers_keep_every_hyperparameter_and_take_the_means_as_weights():
    layer = bnn.Conv2d(4, 8, (3, 5), stride=2, padding=(1, 2), dilation=(1, 2), groups=2,
                       bias=False, padding_mode="reflect", dtype=torch.float64)  # fmt: skip
    plain = bayescnn.to_deterministic(nn.Sequential(layer))[0]
    assert type(plain) is nn.Conv2d
    for name in ("in_channels", "out_channels", "kernel_size", "stride", "padding",
                 "dilation", "groups", "padding_mode"):  # fmt: skip
        assert getattr(plain, name) == getattr(layer, name), name
    assert plain.bias is None and plain.weight.dtype == torch.float64
    torch.testing.assert_close(plain.weight, layer.weight_mu)


def test_a_single_bayesian_layer_becomes_a_single_plain_layer():
    layer = bnn.Linear(3, 2)
    plain = bayescnn.to_deterministic(layer)
    assert type(plain) is nn.Linear
    torch.testing.assert_close(plain.bias, layer.bias_mu)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_a_zoo_lenet_gives_the_posterior_mean_output_with_no_bayesian_layer_left(estimator):
    torch.manual_seed(0)
    model = bayescnn.models.create("lenet", num_classes=10, in_channels=1, image_size=28,
                                   estimator=estimator, dropout=0.3)  # fmt: skip
    model = _randomise_posterior(model)
    x = torch.randn(4, 1, 28, 28)
    plain = bayescnn.to_deterministic(model)
    assert bnn.bayesian_layers(plain) == []
    assert not bnn.is_stochastic(plain), "MC dropout becomes the identity too"
    torch.testing.assert_close(plain(x), _posterior_mean_output(model, x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_a_converted_torchvision_resnet18_gives_the_posterior_mean_output(estimator):
    torch.manual_seed(0)
    model = bayescnn.to_bayesian(torchvision.models.resnet18(num_classes=5), estimator=estimator)
    model.eval()
    x = torch.randn(2, 3, 32, 32)
    plain = bayescnn.to_deterministic(model)
    assert bnn.bayesian_layers(plain) == []
    with torch.no_grad():
        torch.testing.assert_close(plain(x), _posterior_mean_output(model, x), rtol=1e-5, atol=1e-5)


def test_to_deterministic_undoes_to_bayesian_started_from_the_weights():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(64, 2))
    back = bayescnn.to_deterministic(bayescnn.to_bayesian(net, init_from_weights=True))
    x = torch.randn(2, 3, 4, 4)
    assert [type(m) for m in back.modules()] == [type(m) for m in net.modules()]
    torch.testing.assert_close(back(x), net(x))


@pytest.mark.parametrize("layer_type", ["lrt", "bbb"])
def test_the_original_api_layers_convert_too(layer_type):
    torch.manual_seed(0)
    model = _randomise_posterior(BBBLeNet(10, 1, None, layer_type=layer_type, image_size=28))
    model.eval()
    x = torch.randn(3, 1, 28, 28)
    plain = bayescnn.to_deterministic(model)
    assert bnn.bayesian_layers(plain) == []
    logits, kl = plain(x)
    torch.testing.assert_close(logits, _posterior_mean_output(model, x)[0], rtol=1e-5, atol=1e-6)
    assert kl.item() == 0


def test_the_model_is_left_untouched_unless_inplace():
    model = nn.Sequential(bnn.Linear(3, 2))
    bayescnn.to_deterministic(model)
    assert isinstance(model[0], bnn.Linear)
    result = bayescnn.to_deterministic(model, inplace=True)
    assert result is model and type(model[0]) is nn.Linear


def test_a_bayesian_layer_type_with_no_plain_twin_is_refused():
    class Scale(bnn.BayesianLayer):
        def __init__(self):
            super().__init__((1, 3), None)

        def functional_op(self, x, weight, bias):
            return x * weight

    with pytest.raises(bayescnn.BayesCNNError, match="no plain torch layer for Scale"):
        bayescnn.to_deterministic(nn.Sequential(Scale()))


def test_a_rank1_model_is_refused_since_each_member_has_its_own_mean_weight():
    model = bayescnn.models.create("lenet", posterior_family="rank1", members=2)
    with pytest.raises(bayescnn.errors.InvalidTypeError, match="rank-1"):
        bayescnn.to_deterministic(model)
