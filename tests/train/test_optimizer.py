"""The optimiser the training loop builds: Adam's fused kernel on CUDA only."""

import pytest
import torch

from bayescnn.models import create
from bayescnn.train import TrainConfig
from bayescnn.train.loop import _make_optimizer


def test_adam_on_the_cpu_is_not_the_fused_kernel():
    model = create("lenet", in_channels=1, image_size=32)
    optimizer = _make_optimizer(TrainConfig(device="cpu"), model)
    assert isinstance(optimizer, torch.optim.Adam) and not optimizer.defaults["fused"]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_adam_on_cuda_is_the_fused_kernel():
    model = create("lenet", in_channels=1, image_size=32).cuda()
    assert _make_optimizer(TrainConfig(device="cuda"), model).defaults["fused"] is True
