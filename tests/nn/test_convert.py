"""to_bayesian: any module tree, one call."""

import pytest
import torch
import torchvision
from torch import nn

import bayescnn
from bayescnn import nn as bnn


def _plain_layers(model):
    return [m for m in model.modules() if type(m) in (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)]


def test_by_default_the_fully_connected_layers_become_bayesian_on_a_plain_trunk():
    model = torchvision.models.resnet18(num_classes=7)
    converted = bayescnn.to_bayesian(model)
    assert [type(m) for m in bnn.bayesian_layers(converted)] == [bnn.Linear]
    assert isinstance(converted.fc, bnn.Linear) and isinstance(converted.conv1, nn.Conv2d)
    assert converted.fc.posterior_rho_scale == bayescnn.defaults.MODEL_RHO_SCALE


def test_by_default_a_network_without_a_fully_connected_layer_is_bayesian_everywhere():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Conv2d(4, 2, 3))
    assert len(bnn.bayesian_layers(bayescnn.to_bayesian(model))) == 2


def test_asking_for_linear_layers_of_a_network_without_any_is_an_error():
    model = nn.Sequential(nn.Conv2d(1, 4, 3))
    with pytest.raises(bayescnn.BayesCNNError, match="no fully connected layer"):
        bayescnn.to_bayesian(model, bayesian_layers="linear")


def test_a_selection_that_matches_no_layer_is_an_error_naming_the_layers():
    with pytest.raises(bayescnn.BayesCNNError, match=r"matches no layer.*its layers: 0"):
        bayescnn.to_bayesian(nn.Sequential(nn.Conv2d(1, 4, 3)), bayesian_layers=["fc*"])
    with pytest.raises(bayescnn.BayesCNNError, match="bayesian_layers='all'"):
        bayescnn.to_bayesian(torchvision.models.resnet18(), exclude=["fc"])


def test_include_and_bayesian_layers_together_are_an_error():
    with pytest.raises(bayescnn.BayesCNNError, match="not both"):
        bayescnn.to_bayesian(nn.Sequential(nn.Linear(2, 2)), include=["0"], bayesian_layers="all")


def test_resnet18_made_bayesian_everywhere_keeps_its_output_shape_and_has_no_plain_layer_left():
    model = torchvision.models.resnet18(num_classes=7)
    converted = bayescnn.to_bayesian(model, estimator="flipout", bayesian_layers="all")
    x = torch.randn(2, 3, 32, 32)
    assert converted(x).shape == model(x).shape == (2, 7)
    assert _plain_layers(converted) == []
    assert len(bnn.bayesian_layers(converted)) == 21
    assert _plain_layers(model), "the input model is left untouched"


def test_every_hyperparameter_is_copied():
    model = nn.Sequential(
        nn.Conv2d(
            4,
            8,
            (3, 5),
            stride=2,
            padding=(1, 2),
            dilation=(1, 2),
            groups=2,
            bias=False,
            padding_mode="reflect",
        )
    )
    layer = bayescnn.to_bayesian(model, bayesian_layers="all")[0]
    assert isinstance(layer, bnn.Conv2d)
    assert (layer.kernel_size, layer.stride, layer.padding, layer.dilation) == (
        (3, 5),
        (2, 2),
        (1, 2),
        (1, 2),
    )
    assert (layer.groups, layer.padding_mode, layer.bias_mu) == (2, "reflect", None)


def test_include_and_exclude_select_layers_by_qualified_name():
    model = torchvision.models.resnet18(num_classes=3)
    only_fc = bayescnn.to_bayesian(model, include=["fc"])
    assert [type(m) for m in bnn.bayesian_layers(only_fc)] == [bnn.Linear]
    all_but_fc = bayescnn.to_bayesian(model, bayesian_layers="all", exclude=["fc"])
    assert isinstance(all_but_fc.fc, nn.Linear) and not _plain_layers(all_but_fc.layer1)


def test_moped_starts_the_mean_at_the_trained_weights_and_sigma_at_delta_times_abs_w():
    model = nn.Sequential(nn.Linear(5, 3))
    converted = bayescnn.to_bayesian(model, init_from_weights=True, delta=0.2)
    layer = converted[0]
    torch.testing.assert_close(layer.weight_mu, model[0].weight)
    torch.testing.assert_close(
        layer.weight_sigma, 0.2 * model[0].weight.abs(), rtol=1e-4, atol=1e-6
    )
    torch.testing.assert_close(layer.bias_sigma, 0.2 * model[0].bias.abs(), rtol=1e-4, atol=1e-6)
    with bayescnn.posterior_mean(converted):
        x = torch.randn(4, 5)
        torch.testing.assert_close(converted(x), model(x))


def test_estimator_and_prior_reach_every_converted_layer():
    prior = bayescnn.ScaleMixturePrior(0.5, 1.0, 0.01)
    converted = bayescnn.to_bayesian(
        nn.Sequential(nn.Conv1d(2, 2, 1), nn.Linear(2, 2)),
        bayesian_layers="all",
        estimator="bbb",
        prior=prior,
    )
    for layer in bnn.bayesian_layers(converted):
        assert layer.estimator.value == "bbb" and isinstance(
            layer.prior, bayescnn.ScaleMixturePrior
        )


def test_bad_delta_is_a_value_error():
    with pytest.raises(ValueError, match="delta"):
        bayescnn.to_bayesian(nn.Sequential(nn.Linear(2, 2)), init_from_weights=True, delta=0)
