"""Fitting a temperature to held-out logit samples in its two forms (pooled: the averaged
predictive; per-sample: each sample's logits): the NLL it minimises, and its checks."""

from __future__ import annotations

import pytest
import torch

from bayescnn.calibration.fitting import fit_temperature, tempered_nll
from bayescnn.errors import InvalidArgumentError, InvalidTypeError

FORMS = ["pooled", "per-sample"]


def _labels_drawn_at(logits: torch.Tensor, temperature: float, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    probs = (logits / temperature).softmax(-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("true_temperature", [0.5, 1.0, 2.5])
def test_the_fit_recovers_the_temperature_that_generated_the_labels(true_temperature, form):
    generator = torch.Generator().manual_seed(0)
    logits = 3 * torch.randn(40_000, 5, generator=generator)
    labels = _labels_drawn_at(logits, true_temperature, seed=1)
    fitted = fit_temperature(logits, labels, form=form)  # one sample: the forms agree
    assert fitted == pytest.approx(true_temperature, rel=0.05)


@pytest.mark.parametrize("form", FORMS)
def test_the_fitted_temperature_minimises_the_monte_carlo_nll(form):
    generator = torch.Generator().manual_seed(0)
    centre = 4 * torch.randn(2_000, 10, generator=generator)
    samples = centre + 2 * torch.randn(25, 2_000, 10, generator=generator)
    labels = _labels_drawn_at(centre, 1.7, seed=2)
    fitted = fit_temperature(samples, labels, form=form)
    best = tempered_nll(samples, labels, fitted, form=form)
    for other in (fitted * 0.9, fitted * 1.1, 1.0):
        assert best <= tempered_nll(samples, labels, other, form=form) + 1e-9


def _samples_and_labels():
    generator = torch.Generator().manual_seed(0)
    samples = torch.randn(3, 4, 6, generator=generator, dtype=torch.float64)
    return samples, torch.tensor([0, 5, 2, 2])


def test_the_per_sample_nll_is_minus_the_log_of_the_mean_tempered_softmax_of_the_label():
    samples, labels = _samples_and_labels()
    expected = -(samples / 2).softmax(-1).mean(0)[torch.arange(4), labels].log().mean()
    got = tempered_nll(samples, labels, 2.0, form="per-sample")
    assert got == pytest.approx(float(expected), rel=1e-9)


def test_the_pooled_nll_is_minus_the_log_of_the_tempered_mean_softmax_of_the_label():
    samples, labels = _samples_and_labels()
    pooled = (samples.softmax(-1).mean(0).log() / 2).softmax(-1)
    expected = -pooled[torch.arange(4), labels].log().mean()
    assert tempered_nll(samples, labels, 2.0, form="pooled") == pytest.approx(
        float(expected), rel=1e-9
    )


def test_the_two_forms_agree_at_temperature_one_and_differ_elsewhere():
    samples, labels = _samples_and_labels()
    one = [tempered_nll(samples, labels, 1.0, form=form) for form in FORMS]
    assert one[0] == pytest.approx(one[1], rel=1e-12)
    two = [tempered_nll(samples, labels, 2.0, form=form) for form in FORMS]
    assert abs(two[0] - two[1]) > 1e-3


def test_the_fit_refuses_labels_that_do_not_match_the_examples():
    with pytest.raises(InvalidArgumentError, match="one label per held-out example"):
        fit_temperature(torch.zeros(2, 5, 3), torch.zeros(4, dtype=torch.long))


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_the_fit_refuses_logits_that_are_not_finite_and_counts_them(bad):
    # A diverged model: 3 of the 2 x 100 x 5 = 1,000 logits, in 2 examples, are not finite.
    logits = torch.randn(2, 100, 5, generator=torch.Generator().manual_seed(0))
    logits[0, 7, 1] = logits[1, 7, 3] = logits[1, 42, 0] = bad
    labels = torch.zeros(100, dtype=torch.long)
    with pytest.raises(InvalidArgumentError, match=r"3 of 1,000 held-out logits are not finite "
                       r"\(NaN or inf\), in 2 of 100 examples: the model diverged"):  # fmt: skip
        fit_temperature(logits, labels)


def test_the_fit_refuses_a_label_that_is_not_a_class_index_and_names_it():
    labels = torch.tensor([0, 1, 9, 12, 3])
    with pytest.raises(InvalidArgumentError, match=r"labels must lie in \[0, 10\) .* got 12 at "
                       r"position 3"):  # fmt: skip
        fit_temperature(torch.randn(5, 10), labels)


def test_the_nll_refuses_a_negative_label_rather_than_reading_another_class():
    with pytest.raises(InvalidArgumentError, match="got -1 at position 1"):
        tempered_nll(torch.randn(2, 3, 4), torch.tensor([0, -1, 2]))


def test_the_fit_refuses_labels_that_are_not_integers():
    with pytest.raises(InvalidTypeError, match="labels must be an integer tensor"):
        fit_temperature(torch.randn(3, 4), torch.tensor([0.0, 1.0, 2.0]))
