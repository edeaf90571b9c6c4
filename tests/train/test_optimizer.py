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


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_adam_on_cuda_is_the_fused_kernel():
    model = create("lenet", in_channels=1, image_size=32).cuda()
    optimizer = build_optimizer(TrainConfig(device="cuda"), model, torch.device("cuda"))
    assert optimizer.defaults["fused"] is True
