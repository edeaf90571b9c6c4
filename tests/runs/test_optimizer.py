"""The optimisers and schedulers a config names: Adam's fused kernel on CUDA only, no fallbacks."""

import pytest
import torch

import bayescnn
from bayescnn.models import create
from bayescnn.runs import TrainConfig, build_optimizer, build_scheduler


def test_adam_on_the_cpu_is_not_the_fused_kernel():
    model = create("lenet", in_channels=1, image_size=32)
    optimizer = build_optimizer(TrainConfig(device="cpu"), model, torch.device("cpu"))
    assert isinstance(optimizer, torch.optim.Adam) and not optimizer.defaults["fused"]


def test_sgd_gets_the_configs_momentum_and_the_cosine_schedule_its_epochs():
    model = create("lenet", in_channels=1, image_size=32)
    config = TrainConfig(optimizer="sgd", momentum=0.8, scheduler="cosine", epochs=7)
    optimizer = build_optimizer(config, model, torch.device("cpu"))
    assert isinstance(optimizer, torch.optim.SGD) and optimizer.defaults["momentum"] == 0.8
    assert build_scheduler(config, optimizer).T_max == 7


@pytest.mark.parametrize(("key", "value"), [("optimizer", "adamw"), ("scheduler", "step")])
def test_an_unknown_optimizer_or_scheduler_is_an_error_not_adam(key, value):
    with pytest.raises(bayescnn.BayesCNNError, match=f"unknown {key} '{value}'"):
        TrainConfig(**{key: value})


def test_a_momentum_set_for_adam_is_an_error_not_ignored():
    model = create("lenet", in_channels=1, image_size=32)
    config = TrainConfig(optimizer="adam", momentum=0.5)
    with pytest.raises(bayescnn.BayesCNNError, match="optimizer 'adam' does not take momentum"):
        build_optimizer(config, model, torch.device("cpu"))


def test_a_patience_set_for_the_cosine_schedule_is_an_error_not_ignored():
    model = create("lenet", in_channels=1, image_size=32)
    config = TrainConfig(scheduler="cosine", patience=2)
    optimizer = build_optimizer(config, model, torch.device("cpu"))
    with pytest.raises(bayescnn.BayesCNNError, match="scheduler 'cosine' does not take patience"):
        build_scheduler(config, optimizer)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_adam_on_cuda_is_the_fused_kernel():
    model = create("lenet", in_channels=1, image_size=32).cuda()
    optimizer = build_optimizer(TrainConfig(device="cuda"), model, torch.device("cuda"))
    assert optimizer.defaults["fused"] is True


def _rho_and_rest(model, optimizer):
    rho_ids = {id(p) for name, p in model.named_parameters() if name.endswith("_rho")}
    lrs = {}
    for group in optimizer.param_groups:
        for p in group["params"]:
            lrs["rho" if id(p) in rho_ids else "rest"] = group["lr"]
    return lrs


def test_rho_lr_scale_gives_the_posteriors_rho_its_own_learning_rate():
    model = create("lenet", in_channels=1, image_size=32)
    optimizer = build_optimizer(TrainConfig(lr=2e-3, rho_lr_scale=3), model, torch.device("cpu"))
    assert _rho_and_rest(model, optimizer) == {"rho": pytest.approx(6e-3), "rest": 2e-3}
    assert sum(len(g["params"]) for g in optimizer.param_groups) == len(list(model.parameters()))


def test_adams_first_step_moves_rho_by_the_scaled_learning_rate_and_mu_by_the_plain_one():
    torch.manual_seed(0)
    model = create("lenet", in_channels=1, image_size=32)
    optimizer = bayescnn.train.default_optimizer(model, lr=1e-3, rho_lr_scale=5)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    loss = model(torch.randn(8, 1, 32, 32)).logsumexp(-1).mean() + bayescnn.kl_divergence(model)
    loss.backward()
    optimizer.step()
    moved = {
        name: (p.detach() - before[name]).abs().max().item() for name, p in model.named_parameters()
    }
    # Adam's first step is lr * g / (|g| + eps): the learning rate itself wherever g != 0
    assert moved["fc1.weight_rho"] == pytest.approx(5e-3, rel=1e-3)
    assert moved["fc1.weight_mu"] == pytest.approx(1e-3, rel=1e-3)


def test_without_rho_or_without_a_scale_there_is_one_group():
    twin = create("lenet", bayesian=False, in_channels=1, image_size=32)
    assert len(bayescnn.train.parameter_groups(twin, 1e-3, rho_lr_scale=3)) == 1
    model = create("lenet", in_channels=1, image_size=32)
    assert len(bayescnn.train.parameter_groups(model, 1e-3)) == 1


@pytest.mark.parametrize("scale", [0, -1.0])
def test_a_non_positive_rho_lr_scale_is_an_error(scale):
    with pytest.raises(bayescnn.BayesCNNError, match="rho_lr_scale must be > 0"):
        TrainConfig(rho_lr_scale=scale)
    model = create("lenet", in_channels=1, image_size=32)
    with pytest.raises(bayescnn.BayesCNNError, match="rho_lr_scale must be > 0"):
        bayescnn.train.parameter_groups(model, 1e-3, rho_lr_scale=scale)


def test_a_configs_rho_scale_builds_the_model_with_it_and_leaves_the_optimiser_plain():
    from bayescnn.data import get_spec
    from bayescnn.runs import build_model

    model = build_model(TrainConfig(rho_scale=3), get_spec("mnist"))
    layers = bayescnn.nn.bayesian_layers(model)
    assert layers and {layer.posterior_rho_scale for layer in layers} == {3.0}
    optimizer = build_optimizer(TrainConfig(rho_scale=3), model, torch.device("cpu"))
    assert _rho_and_rest(model, optimizer) == {"rho": 1e-3, "rest": 1e-3}
