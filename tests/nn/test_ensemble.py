"""Deep ensembles: one model whose members are its Monte-Carlo samples."""

import pytest
import torch

import bayescnn


def _members(count, bayesian=False):
    torch.manual_seed(0)
    return [bayescnn.models.create("lenet", bayesian=bayesian) for _ in range(count)]


def test_its_forward_is_the_log_of_the_members_mean_probability():
    members = _members(3)
    x = torch.randn(4, 1, 32, 32)
    expected = torch.stack([m(x).softmax(-1) for m in members]).mean(0)
    torch.testing.assert_close(bayescnn.Ensemble(members)(x).softmax(-1), expected)


def test_each_plain_member_is_one_sample_and_each_bayesian_member_gives_s():
    x = torch.randn(2, 1, 32, 32)
    assert bayescnn.sample_forward(bayescnn.Ensemble(_members(5)), x, 25).shape == (5, 2, 10)
    assert bayescnn.sample_forward(bayescnn.Ensemble(_members(2, True)), x, 3).shape == (6, 2, 10)


def test_predict_reports_the_disagreement_of_members_as_epistemic_uncertainty():
    pred = bayescnn.predict(bayescnn.Ensemble(_members(5)), torch.randn(8, 1, 32, 32), samples=25)
    assert pred.samples == 5 and (pred.entropy.epistemic > 0).all()


def test_an_ensemble_of_one_is_an_error():
    with pytest.raises(bayescnn.BayesCNNError, match="at least two members"):
        bayescnn.Ensemble(_members(1))


def test_a_packed_member_counts_as_the_mean_of_its_own_members_probabilities():
    torch.manual_seed(0)
    packed = bayescnn.models.create("lenet", bayesian=False, members=3)
    plain = bayescnn.models.create("lenet", bayesian=False)
    x = torch.randn(4, 1, 32, 32)
    expected = (packed(x).softmax(-1).mean(0) + plain(x).softmax(-1)) / 2
    torch.testing.assert_close(bayescnn.Ensemble([packed, plain])(x).softmax(-1), expected)


def test_an_ensemble_of_packed_networks_samples_every_member_of_each():
    members = [bayescnn.models.create("lenet", members=2) for _ in range(2)]
    samples = bayescnn.sample_forward(bayescnn.Ensemble(members), torch.randn(2, 1, 32, 32), 3)
    assert samples.shape == (2 * 2 * 3, 2, 10)
