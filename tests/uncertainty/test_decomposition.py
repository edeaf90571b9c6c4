"""Tests for bayescnn.uncertainty.decomposition against hand-worked examples."""

import math

import pytest
import torch
from torch.testing import assert_close

from bayescnn.errors import InvalidArgumentError, InvalidTypeError
from bayescnn.uncertainty.decomposition import (
    covariance_decomposition,
    entropy_decomposition,
    normalized_decomposition,
    predictive_probs,
    softmax_decomposition,
)

# S=2 samples, N=1 example, K=2 classes: p_1 = (0.8, 0.2), p_2 = (0.4, 0.6).
# p̄ = (0.6, 0.4).
# diag(p_1) - p_1 p_1ᵀ = [[0.16, -0.16], [-0.16, 0.16]]
# diag(p_2) - p_2 p_2ᵀ = [[0.24, -0.24], [-0.24, 0.24]]
#   -> aleatoric = [[0.20, -0.20], [-0.20, 0.20]], trace 0.40
# p_1 - p̄ = (0.2, -0.2), p_2 - p̄ = (-0.2, 0.2); both outer products are
#   [[0.04, -0.04], [-0.04, 0.04]] -> epistemic = that, trace 0.08
PROBS = torch.tensor([[[0.8, 0.2]], [[0.4, 0.6]]], dtype=torch.float64)

# Logits whose softmax is p_1 = (0.5, 0.5) and p_2 = (0.75, 0.25) (e^{ln 3} / (e^{ln 3} + 1)).
# p̄ = (0.625, 0.375).
# aleatoric diag: p_1: 0.5 * 0.5 = 0.25, p_2: 0.75 * 0.25 = 0.1875 -> mean 0.21875
# epistemic diag: (0.5 - 0.625)² = (0.75 - 0.625)² = 0.015625
SOFTMAX_LOGITS = torch.tensor([[[0.0, 0.0]], [[math.log(3.0), 0.0]]], dtype=torch.float64)


def _inverse_softplus(value: float) -> float:
    """x with softplus(x) = log(1 + e^x) = value."""
    return math.log(math.expm1(value))


# Logits whose softplus is (2, 2) and (3, 1): normalised p_1 = (0.5, 0.5), p_2 = (0.75, 0.25),
# the same probabilities as SOFTMAX_LOGITS, so the same hand-computed moments apply.
SOFTPLUS_LOGITS = torch.tensor(
    [
        [[_inverse_softplus(2.0), _inverse_softplus(2.0)]],
        [[_inverse_softplus(3.0), _inverse_softplus(1.0)]],
    ],
    dtype=torch.float64,
)


def _random_probs(seed: int, shape: tuple[int, int, int] = (5, 4, 3)) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=generator, dtype=torch.float64).softmax(dim=-1)


def test_predictive_probs_is_sample_mean() -> None:
    assert_close(predictive_probs(PROBS), torch.tensor([[0.6, 0.4]], dtype=torch.float64))


def test_covariance_decomposition_diagonals_match_hand_computation() -> None:
    result = covariance_decomposition(PROBS)
    assert_close(result.predictive, torch.tensor([[0.6, 0.4]], dtype=torch.float64))
    assert_close(result.aleatoric, torch.tensor([[0.20, 0.20]], dtype=torch.float64))
    assert_close(result.epistemic, torch.tensor([[0.04, 0.04]], dtype=torch.float64))


def test_covariance_decomposition_traces_match_hand_computation() -> None:
    result = covariance_decomposition(PROBS)
    assert_close(result.aleatoric_trace, torch.tensor([0.40], dtype=torch.float64))
    assert_close(result.epistemic_trace, torch.tensor([0.08], dtype=torch.float64))


def test_covariance_decomposition_full_matrices_match_hand_computation() -> None:
    result = covariance_decomposition(PROBS, full=True)
    expected_aleatoric = torch.tensor([[[0.20, -0.20], [-0.20, 0.20]]], dtype=torch.float64)
    expected_epistemic = torch.tensor([[[0.04, -0.04], [-0.04, 0.04]]], dtype=torch.float64)
    assert_close(result.aleatoric_full, expected_aleatoric)
    assert_close(result.epistemic_full, expected_epistemic)


def test_full_matrices_are_omitted_by_default() -> None:
    result = covariance_decomposition(PROBS)
    assert result.aleatoric_full is None
    assert result.epistemic_full is None


def test_full_matrix_diagonals_equal_returned_diagonals() -> None:
    result = covariance_decomposition(_random_probs(0), full=True)
    assert_close(result.aleatoric_full.diagonal(dim1=-2, dim2=-1), result.aleatoric)
    assert_close(result.epistemic_full.diagonal(dim1=-2, dim2=-1), result.epistemic)


def test_aleatoric_plus_epistemic_is_predictive_covariance() -> None:
    # Σ_t-averaged: diag(p̄) - mean p pᵀ + mean p pᵀ - p̄ p̄ᵀ = diag(p̄) - p̄ p̄ᵀ.
    result = covariance_decomposition(_random_probs(1), full=True)
    p_bar = result.predictive
    expected = torch.diag_embed(p_bar) - p_bar.unsqueeze(-1) * p_bar.unsqueeze(-2)
    assert_close(result.aleatoric_full + result.epistemic_full, expected)


def test_aleatoric_trace_is_one_minus_mean_squared_norm() -> None:
    probs = _random_probs(2)
    result = covariance_decomposition(probs)
    assert_close(result.aleatoric_trace, 1.0 - probs.square().sum(dim=-1).mean(dim=0))


def test_covariance_epistemic_is_zero_for_identical_samples() -> None:
    probs = _random_probs(3, (1, 4, 3)).expand(6, 4, 3)
    result = covariance_decomposition(probs, full=True)
    assert_close(result.epistemic, torch.zeros(4, 3, dtype=torch.float64))
    assert_close(result.epistemic_full, torch.zeros(4, 3, 3, dtype=torch.float64))


def test_covariance_diagonals_and_traces_are_non_negative() -> None:
    result = covariance_decomposition(_random_probs(4))
    for value in (result.aleatoric, result.epistemic):
        assert (value >= 0).all()
    for value in (result.aleatoric_trace, result.epistemic_trace):
        assert (value >= 0).all()


def test_full_matrices_are_positive_semidefinite() -> None:
    result = covariance_decomposition(_random_probs(5), full=True)
    for matrix in (result.aleatoric_full, result.epistemic_full):
        assert (torch.linalg.eigvalsh(matrix) >= -1e-12).all()


def test_covariance_decomposition_shapes() -> None:
    result = covariance_decomposition(_random_probs(6, (7, 4, 3)), full=True)
    assert result.predictive.shape == (4, 3)
    assert result.aleatoric.shape == result.epistemic.shape == (4, 3)
    assert result.aleatoric_trace.shape == result.epistemic_trace.shape == (4,)
    assert result.aleatoric_full.shape == result.epistemic_full.shape == (4, 3, 3)


def test_softmax_decomposition_matches_hand_computation() -> None:
    result = softmax_decomposition(SOFTMAX_LOGITS, full=True)
    assert_close(result.predictive, torch.tensor([[0.625, 0.375]], dtype=torch.float64))
    assert_close(result.aleatoric, torch.tensor([[0.21875, 0.21875]], dtype=torch.float64))
    assert_close(result.epistemic, torch.tensor([[0.015625, 0.015625]], dtype=torch.float64))
    assert_close(result.aleatoric_trace, torch.tensor([0.4375], dtype=torch.float64))
    assert_close(result.epistemic_trace, torch.tensor([0.03125], dtype=torch.float64))
    assert_close(
        result.aleatoric_full,
        torch.tensor([[[0.21875, -0.21875], [-0.21875, 0.21875]]], dtype=torch.float64),
    )


def test_normalized_decomposition_matches_hand_computation() -> None:
    result = normalized_decomposition(SOFTPLUS_LOGITS)
    assert_close(result.predictive, torch.tensor([[0.625, 0.375]], dtype=torch.float64))
    assert_close(result.aleatoric, torch.tensor([[0.21875, 0.21875]], dtype=torch.float64))
    assert_close(result.epistemic, torch.tensor([[0.015625, 0.015625]], dtype=torch.float64))


def test_normalized_decomposition_uses_softplus_not_softmax() -> None:
    # For logits with softplus (3, 1): softplus-normalised p = 0.75, while softmax gives
    # e^x / Σ e^x = (e³ - 1) / ((e³ - 1) + (e - 1)) ≈ 0.917.
    logits = SOFTPLUS_LOGITS[1:]
    normalized_p = normalized_decomposition(logits).predictive[0, 0].item()
    softmax_p = softmax_decomposition(logits).predictive[0, 0].item()
    assert normalized_p == pytest.approx(0.75)
    assert softmax_p == pytest.approx(math.expm1(3) / (math.expm1(3) + math.expm1(1)))


def test_normalized_decomposition_is_finite_when_softplus_underflows() -> None:
    # softplus(-200) underflows to 0 in float32; all classes equal -> uniform.
    logits = torch.full((2, 3, 4), -200.0)
    result = normalized_decomposition(logits)
    assert_close(result.predictive, torch.full((3, 4), 0.25))
    assert torch.isfinite(result.aleatoric).all()


def test_normalized_decomposition_keeps_order_when_softplus_underflows() -> None:
    # softplus(x) ≈ e^x for very negative x, so p ∝ (e^{-200}, e^{-201}) = (1, e^{-1}).
    logits = torch.tensor([[[-200.0, -201.0]]])
    p = normalized_decomposition(logits).predictive[0]
    assert_close(p, torch.tensor([1.0, math.exp(-1.0)]) / (1.0 + math.exp(-1.0)))


def test_entropy_decomposition_disagreeing_one_hot_samples() -> None:
    # p_1 = (1, 0), p_2 = (0, 1): p̄ = (0.5, 0.5), H[p̄] = ln 2, each H[p_t] = 0 (0 log 0 = 0).
    probs = torch.tensor([[[1.0, 0.0]], [[0.0, 1.0]]], dtype=torch.float64)
    result = entropy_decomposition(probs)
    assert_close(result.total, torch.tensor([math.log(2.0)], dtype=torch.float64))
    assert_close(result.aleatoric, torch.tensor([0.0], dtype=torch.float64))
    assert_close(result.epistemic, torch.tensor([math.log(2.0)], dtype=torch.float64))


def test_entropy_decomposition_mixed_samples() -> None:
    # p_1 = (1, 0), p_2 = (0.5, 0.5): p̄ = (0.75, 0.25).
    # H[p̄] = -(0.75 ln 0.75 + 0.25 ln 0.25); mean H[p_t] = (0 + ln 2) / 2.
    probs = torch.tensor([[[1.0, 0.0]], [[0.5, 0.5]]], dtype=torch.float64)
    result = entropy_decomposition(probs)
    total = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    aleatoric = math.log(2.0) / 2.0
    assert_close(result.total, torch.tensor([total], dtype=torch.float64))
    assert_close(result.aleatoric, torch.tensor([aleatoric], dtype=torch.float64))
    assert_close(result.epistemic, torch.tensor([total - aleatoric], dtype=torch.float64))


def test_entropy_epistemic_is_zero_for_identical_samples() -> None:
    # Both samples (0.5, 0.5): all uncertainty is aleatoric, ln 2.
    probs = torch.full((2, 1, 2), 0.5, dtype=torch.float64)
    result = entropy_decomposition(probs)
    assert_close(result.aleatoric, torch.tensor([math.log(2.0)], dtype=torch.float64))
    assert_close(result.epistemic, torch.tensor([0.0], dtype=torch.float64))


def test_entropy_total_is_aleatoric_plus_epistemic() -> None:
    result = entropy_decomposition(_random_probs(7))
    assert_close(result.total, result.aleatoric + result.epistemic)


def test_entropy_terms_are_non_negative() -> None:
    probs = torch.cat([_random_probs(8), _random_probs(9, (1, 4, 3)).expand(5, 4, 3)], dim=1)
    result = entropy_decomposition(probs)
    for value in (result.total, result.aleatoric, result.epistemic):
        assert (value >= 0).all()


def test_entropy_of_one_hot_predictive_is_exactly_zero() -> None:
    probs = torch.tensor([[[0.0, 1.0, 0.0]]] * 3)
    result = entropy_decomposition(probs)
    assert result.total.item() == 0.0
    assert not torch.isnan(result.total).any()


def test_entropy_decomposition_shapes() -> None:
    result = entropy_decomposition(_random_probs(10, (7, 4, 3)))
    assert result.predictive.shape == (4, 3)
    assert result.total.shape == result.aleatoric.shape == result.epistemic.shape == (4,)


def test_softmax_decomposition_equals_covariance_of_softmax() -> None:
    logits = torch.randn(3, 2, 4, generator=torch.Generator().manual_seed(11))
    direct = softmax_decomposition(logits)
    core = covariance_decomposition(logits.softmax(dim=-1))
    assert_close(direct.aleatoric, core.aleatoric)
    assert_close(direct.epistemic, core.epistemic)


@pytest.mark.parametrize(
    "function",
    [
        covariance_decomposition,
        softmax_decomposition,
        normalized_decomposition,
        entropy_decomposition,
        predictive_probs,
    ],
)
@pytest.mark.parametrize("shape", [(2, 3), (2, 3, 4, 5), (0, 3, 4), (2, 0, 4)])
def test_rejects_non_3d_or_empty_input(function, shape) -> None:
    with pytest.raises(InvalidArgumentError):
        function(torch.zeros(shape))


def test_rejects_integer_input() -> None:
    with pytest.raises(InvalidTypeError, match="floating-point"):
        covariance_decomposition(torch.ones(2, 3, 4, dtype=torch.int64))


BAD_SAMPLES = {
    "nan": torch.tensor([[[0.8, 0.2]], [[float("nan"), 0.6]]], dtype=torch.float64),
    "negative": torch.tensor([[[0.8, 0.2]], [[1.5, -0.5]]], dtype=torch.float64),
    "off the simplex": torch.tensor([[[0.8, 0.2]], [[0.4, 0.4]]], dtype=torch.float64),
}


@pytest.mark.parametrize("decompose", [covariance_decomposition, entropy_decomposition,
                                       predictive_probs])  # fmt: skip
@pytest.mark.parametrize("bad", list(BAD_SAMPLES))
def test_samples_that_are_not_probability_vectors_are_refused(decompose, bad) -> None:
    # Unchecked, each gave NaN or a negative "aleatoric" value (e.g. 1.5 x (1 - 1.5) < 0).
    with pytest.raises(InvalidArgumentError, match=r"1 of 2 rows is not \(row \(1, 0\)\)"):
        decompose(BAD_SAMPLES[bad])


@pytest.mark.parametrize("decompose", [softmax_decomposition, normalized_decomposition])
def test_a_nan_logit_is_refused_by_the_decompositions_of_logits(decompose) -> None:
    logits = SOFTMAX_LOGITS.clone()
    logits[1, 0, 0] = float("nan")
    with pytest.raises(InvalidArgumentError, match=r"\(logits\) must hold .*1 not finite"):
        decompose(logits)
