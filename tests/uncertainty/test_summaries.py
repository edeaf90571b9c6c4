"""Tests for bayescnn.uncertainty.summaries: per-batch summaries, and their concatenation
into a Prediction (bayescnn.uncertainty.prediction.join_batches)."""

import torch
from torch.testing import assert_close

from bayescnn.uncertainty.prediction import Prediction, join_batches
from bayescnn.uncertainty.summaries import DECOMPOSITIONS, summarise_batch


def logits(samples: int, batch: int, classes: int = 3, seed: int = 0) -> torch.Tensor:
    return torch.randn(samples, batch, classes, generator=torch.Generator().manual_seed(seed))


def test_summary_probs_are_the_mean_softmax_in_float32():
    sampled = logits(4, 5)
    summary = summarise_batch(sampled, DECOMPOSITIONS, ())
    assert summary.probs.dtype == torch.float32
    assert_close(summary.probs, sampled.softmax(-1).mean(0))


def test_summary_holds_only_the_requested_decompositions_and_scores():
    summary = summarise_batch(logits(4, 5), ("entropy",), ("max_prob",))
    assert set(summary.decompositions) == {"entropy"}
    assert set(summary.scores) == {"max_prob"}


def test_joined_batches_equal_one_summary_of_all_examples():
    first, second = logits(4, 2, seed=1), logits(4, 3, seed=2)
    parts = [summarise_batch(part, DECOMPOSITIONS, ("max_prob",)) for part in (first, second)]
    labels = torch.tensor([0, 1, 2, 0, 1])
    joined = join_batches(parts, labels, decompositions=DECOMPOSITIONS, samples=4)
    whole = join_batches(
        [summarise_batch(torch.cat([first, second], dim=1), DECOMPOSITIONS, ("max_prob",))],
        labels,
        decompositions=DECOMPOSITIONS,
        samples=4,
    )
    assert isinstance(joined, Prediction) and len(joined) == 5 and joined.samples == 4
    assert_close(joined.probs, whole.probs)
    assert_close(joined.entropy.epistemic, whole.entropy.epistemic)
    assert_close(joined.scores["max_prob"], whole.scores["max_prob"])
    assert torch.equal(joined.predicted, joined.probs.argmax(-1))
    assert joined.labels is labels


def test_decompositions_not_summarised_are_none_in_the_prediction():
    parts = [summarise_batch(logits(2, 3), ("softmax",), ())]
    prediction = join_batches(parts, None, decompositions=("softmax",), samples=2)
    assert prediction.softmax is not None
    assert prediction.normalized is None and prediction.entropy is None
    assert prediction.scores == {} and prediction.labels is None
