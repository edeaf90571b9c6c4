"""Noise for the estimators: N(0, 1), reproducible, the same whatever the thread count."""

import itertools

import pytest
import torch

import bayescnn
from bayescnn.nn import noise
from bayescnn.nn.noise import standard_normal

CPU = torch.device("cpu")
LARGE = (4, noise.CPU_PARALLEL_MIN_NUMEL)  # filled in slices by several generators


def test_large_cpu_noise_is_standard_normal_and_its_slices_are_uncorrelated():
    draws = standard_normal(LARGE, device=CPU, dtype=torch.float64).reshape(-1)
    n = draws.numel()
    assert abs(draws.mean().item()) < 5 / n**0.5
    assert abs(draws.var().item() - 1) < 5 * (2 / n) ** 0.5
    assert abs(((draws**4).mean() - 3).item()) < 5 * (96 / n) ** 0.5, "fourth moment of N(0,1)"
    slices = draws.tensor_split(noise.CPU_STREAMS)
    for a, b in itertools.pairwise(slices):
        size = min(a.numel(), b.numel())
        correlation = torch.corrcoef(torch.stack([a[:size], b[:size]]))[0, 1]
        assert abs(correlation.item()) < 5 / size**0.5


@pytest.mark.parametrize("shape", [(3, 5), LARGE], ids=["small", "large"])
def test_noise_is_reproducible_under_manual_seed_for_any_thread_count(shape):
    threads = torch.get_num_threads()
    draws = []
    try:
        for count in (1, 2, 1):
            torch.set_num_threads(count)
            torch.manual_seed(3)
            draws.append(standard_normal(shape, device=CPU, dtype=torch.float32))
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(draws[0], draws[1]) and torch.equal(draws[0], draws[2])
    torch.manual_seed(4)
    assert not torch.equal(standard_normal(shape, device=CPU, dtype=torch.float32), draws[0])


def test_noise_has_the_requested_dtype_and_shape_and_advances_the_global_generator():
    first = standard_normal(LARGE, device=CPU, dtype=torch.bfloat16)
    second = standard_normal(LARGE, device=CPU, dtype=torch.bfloat16)
    assert first.dtype == torch.bfloat16 and first.shape == LARGE
    assert not torch.equal(first, second)


def test_under_torch_compile_large_noise_is_left_to_torch_randn(monkeypatch):
    monkeypatch.setattr(torch.compiler, "is_compiling", lambda: True)
    torch.manual_seed(8)
    got = standard_normal(LARGE, device=CPU, dtype=torch.float32)
    torch.manual_seed(8)
    assert torch.equal(got, torch.randn(LARGE))


def test_large_noise_tensors_can_be_drawn_under_inference_mode():
    with torch.inference_mode():
        model = bayescnn.models.create("lenet", estimator="lrt", in_channels=1, image_size=32)
        out = bayescnn.sample_forward(model, torch.randn(512, 1, 32, 32), 3)
    assert out.shape == (3, 512, 10) and out.isfinite().all()
