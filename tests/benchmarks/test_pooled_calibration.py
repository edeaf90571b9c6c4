"""The two places a temperature can go, as the probe of benchmarks/pooled_calibration.py fits them."""

from __future__ import annotations

import torch

from benchmarks import pooled_calibration as probe


def test_at_t_one_both_forms_are_the_monte_carlo_predictive() -> None:
    logits = torch.randn(5, 7, 3, generator=torch.Generator().manual_seed(0))
    expected = torch.softmax(logits, -1).mean(0)
    torch.testing.assert_close(probe.per_sample(logits, 1.0), expected)
    torch.testing.assert_close(probe.pooled(logits, 1.0), expected)


def test_pooled_sharpens_what_disagreeing_samples_average_away() -> None:
    # two confident samples that disagree: per-sample sharpening cannot raise the top class
    logits = torch.tensor([[[8.0, 0.0, 0.0]], [[0.0, 8.0, 0.0]], [[8.0, 0.0, 0.0]]])
    assert probe.per_sample(logits, 0.5)[0, 0] < 0.67
    assert probe.pooled(logits, 0.5)[0, 0] > 0.79


def test_the_fitted_temperature_minimises_the_held_out_nll() -> None:
    generator = torch.Generator().manual_seed(1)
    labels = torch.randint(0, 3, (400,), generator=generator)
    clean = torch.nn.functional.one_hot(labels, 3).float() * 2.0
    one = (clean + torch.randn(400, 3, generator=generator)) * 4.0  # right ~85%, sure ~100%
    logits = one.expand(4, -1, -1)  # samples that agree: an overconfident predictive
    temperature = probe.fit(probe.per_sample, logits, labels)
    assert temperature > 1.5  # an overconfident predictive is softened
    from bayescnn.metrics import nll

    best = nll(probe.per_sample(logits, temperature), labels)
    for other in (temperature / 1.5, temperature * 1.5):
        assert best <= nll(probe.per_sample(logits, other), labels)
