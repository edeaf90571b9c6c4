"""A temperature is fitted only where the held-out evidence supports it."""

import torch

from bayescnn.calibration import fit_temperature, weigh_temperature_evidence


def _held_out(count: int, *, temperature: float, seed: int, samples: int = 4):
    """Logits ``(S, N, 10)`` whose labels are drawn from ``softmax(mean logit / temperature)``:
    the raw predictive is calibrated at that temperature."""
    generator = torch.Generator().manual_seed(seed)
    centre = 3 * torch.randn(count, 10, generator=generator)
    logits = centre + 0.1 * torch.randn(samples, count, 10, generator=generator)
    labels = torch.multinomial(torch.softmax(centre / temperature, -1), 1, generator=generator)
    return logits, labels.squeeze(1)


def test_a_perfectly_separated_held_out_set_is_declined_and_says_why():
    logits, _ = _held_out(300, temperature=1.0, seed=0)
    labels = logits.mean(0).argmax(-1)  # every held-out example right
    assert fit_temperature(logits, labels) < 0.1  # what a fit would do: near-certainty
    evidence = weigh_temperature_evidence(logits, labels)
    assert not evidence.supported
    assert (evidence.examples, evidence.errors) == (300, 0)
    assert "300 held-out examples, 0 misclassified" in evidence.reason
    assert "perfectly separated" in evidence.reason


def test_too_few_held_out_examples_are_declined():
    logits, labels = _held_out(58, temperature=2.0, seed=1)
    evidence = weigh_temperature_evidence(logits, labels)
    assert not evidence.supported and "58 held-out examples" in evidence.reason
    assert "at least 100 examples" in evidence.reason


def test_a_clearly_miscalibrated_model_with_enough_evidence_gets_its_temperature():
    logits, labels = _held_out(2000, temperature=2.5, seed=2)
    evidence = weigh_temperature_evidence(logits, labels)
    assert evidence.supported and evidence.reason is None
    assert evidence.nll_fitted_cv < evidence.nll_raw_cv


def test_a_model_calibrated_already_mostly_keeps_t_equal_to_one():
    declined = [
        not weigh_temperature_evidence(*_held_out(300, temperature=1.0, seed=seed)).supported
        for seed in range(20)
    ]
    assert sum(declined) >= 12, f"declined {sum(declined)} of 20"


def test_the_decision_is_the_cross_validated_comparison():
    for seed in range(6):
        evidence = weigh_temperature_evidence(*_held_out(400, temperature=1.2, seed=seed))
        assert evidence.supported == (evidence.nll_fitted_cv < evidence.nll_raw_cv)


def test_the_check_leaves_the_callers_random_state_alone():
    logits, labels = _held_out(300, temperature=2.0, seed=3)
    torch.manual_seed(11)
    before = torch.rand(3)
    torch.manual_seed(11)
    weigh_temperature_evidence(logits, labels)
    assert torch.equal(torch.rand(3), before)
