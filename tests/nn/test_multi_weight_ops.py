"""S stacked weight sets in one op give exactly what S separate ops give."""

import pytest
import torch

import bayescnn
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


def _passes(model, x, samples):
    calls = []
    handle = model[0].register_forward_hook(lambda m, i, o: calls.append(o.shape[0]))
    try:
        out = bayescnn.sample_forward(model, x, samples)
    finally:
        handle.remove()
    return out, calls


def test_on_the_cpu_a_small_batch_is_stacked_after_one_measuring_pass():
    model = bayescnn.models.create("lenet", in_channels=1, image_size=32, bayesian_layers="all")
    out, calls = _passes(model, torch.randn(4, 1, 32, 32), 25)
    assert out.shape == (25, 4, 10)
    assert calls == [4, 24 * 4], "the first sample alone, then the other 24 in one pass"


def test_on_the_cpu_a_batch_too_large_to_stack_within_the_memory_budget_runs_as_a_loop():
    from bayescnn.nn.functional import CPU_PASS_BYTES

    model = bayescnn.models.create(
        "lenet", estimator="flipout", in_channels=1, image_size=32, bayesian_layers="all"
    )
    rows = CPU_PASS_BYTES // (28 * 28 * 6 * 4 * 3) + 1  # one flipout conv1 output exceeds it
    out, calls = _passes(model, torch.randn(rows, 1, 32, 32), 3)
    assert out.shape == (3, rows, 10) and calls == [rows] * 3


def test_the_chunking_depends_on_shapes_alone_so_seeded_results_repeat():
    model = bayescnn.models.create("lenet", estimator="bbb", in_channels=1, image_size=32)
    x = torch.randn(300, 1, 32, 32)
    results = []
    for _ in range(2):
        torch.manual_seed(5)
        results.append(bayescnn.sample_forward(model, x, 10))
    torch.testing.assert_close(results[0], results[1], rtol=0, atol=0)
