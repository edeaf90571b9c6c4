"""Tests for bayescnn.uncertainty.prediction (predict, predict_loader, predict_from_logits)
and the one Monte-Carlo loop it draws from (sampled_batches), on tiny Bayesian models."""

import subprocess
import sys

import pytest
import torch
from torch import nn
from torch.testing import assert_close

import bayescnn.uncertainty.decomposition as decomposition_module
from bayescnn import nn as bnn
from bayescnn.calibration import set_temperature
from bayescnn.errors import InvalidArgumentError, UnknownNameError
from bayescnn.uncertainty import (
    Prediction,
    list_ood_scores,
    predict,
    predict_from_logits,
    predict_loader,
    register_ood_score,
    sampled_batches,
)

NUM_CLASSES = 5


def tiny_model(estimator: str = "lrt", *, bayesian: bool = True) -> nn.Sequential:
    """conv(1->4, 3x3) > BatchNorm > softplus > flatten > linear(144 -> 5) on 8x8 inputs."""
    torch.manual_seed(0)
    if bayesian:
        conv = bnn.Conv2d(1, 4, 3, estimator=estimator, posterior_rho_init=(-2.0, 0.1))
        linear = bnn.Linear(4 * 6 * 6, NUM_CLASSES, estimator=estimator)
    else:
        conv, linear = nn.Conv2d(1, 4, 3), nn.Linear(4 * 6 * 6, NUM_CLASSES)
    return nn.Sequential(conv, nn.BatchNorm2d(4), nn.Softplus(), nn.Flatten(), linear)


def inputs(count: int = 6) -> torch.Tensor:
    return torch.randn(count, 1, 8, 8, generator=torch.Generator().manual_seed(1))


def all_epistemic(prediction: Prediction) -> dict[str, torch.Tensor]:
    return {
        "softmax": prediction.softmax.epistemic_trace,
        "normalized": prediction.normalized.epistemic_trace,
        "entropy": prediction.entropy.epistemic,
        "softmax_diagonal": prediction.softmax.epistemic,
        "score": prediction.scores["epistemic_trace"],
    }


def test_shapes_and_dtypes_of_every_field():
    prediction = predict(tiny_model(), inputs(6), samples=4)
    assert len(prediction) == 6 and prediction.num_classes == NUM_CLASSES
    assert prediction.probs.shape == (6, NUM_CLASSES)
    assert prediction.predicted.shape == (6,) and prediction.predicted.dtype == torch.int64
    for decomposition in (prediction.softmax, prediction.normalized):
        assert decomposition.aleatoric.shape == decomposition.epistemic.shape == (6, NUM_CLASSES)
        assert decomposition.aleatoric_trace.shape == decomposition.epistemic_trace.shape == (6,)
    entropy = prediction.entropy
    assert entropy.total.shape == entropy.aleatoric.shape == entropy.epistemic.shape == (6,)
    assert set(prediction.scores) >= {"max_prob", "entropy", "mutual_info"}
    assert all(score.shape == (6,) for score in prediction.scores.values())
    assert prediction.labels is None and prediction.samples == 4


def test_probs_rows_sum_to_one_and_predicted_is_their_argmax():
    prediction = predict(tiny_model(), inputs(), samples=5)
    assert_close(prediction.probs.sum(dim=-1), torch.ones(len(prediction)))
    assert torch.equal(prediction.predicted, prediction.probs.argmax(dim=-1))


@pytest.mark.parametrize("estimator", ["bbb", "lrt", "flipout"])
def test_epistemic_is_positive_for_every_example_when_sampling(estimator):
    prediction = predict(tiny_model(estimator), inputs(), samples=8)
    for name, values in all_epistemic(prediction).items():
        if name == "softmax_diagonal":
            values = values.sum(dim=-1)
        assert (values > 0).all(), f"{estimator}: {name} epistemic is not positive: {values}"


@pytest.mark.parametrize("estimator", ["bbb", "lrt", "flipout"])
def test_epistemic_is_zero_at_the_posterior_mean(estimator):
    prediction = predict(tiny_model(estimator), inputs(), samples=8, posterior_mean=True)
    for values in all_epistemic(prediction).values():
        assert values.abs().max() <= 1e-7
    assert prediction.samples == 1


def test_posterior_mean_option_restores_sampling_afterwards():
    model = tiny_model()
    predict(model, inputs(), samples=3, posterior_mean=True)
    assert all(layer.sample for layer in bnn.bayesian_layers(model))


def test_one_sample_gives_zero_epistemic():
    prediction = predict(tiny_model(), inputs(), samples=1)
    for values in all_epistemic(prediction).values():
        assert values.abs().max() <= 1e-7


def test_frequentist_model_gives_zero_epistemic():
    prediction = predict(tiny_model(bayesian=False), inputs(), samples=4)
    for values in all_epistemic(prediction).values():
        assert values.abs().max() <= 1e-7


def test_predict_loader_over_batches_equals_predict_on_the_concatenation():
    model, x = tiny_model(), inputs(10)
    labels = torch.arange(10) % NUM_CLASSES
    batches = [(x[:4], labels[:4]), (x[4:7], labels[4:7]), (x[7:], labels[7:])]
    joined = predict_loader(model, batches, samples=3, posterior_mean=True)
    whole = predict(model, x, labels=labels, samples=3, posterior_mean=True)
    assert torch.equal(joined.labels, labels)
    assert_close(joined.probs, whole.probs)
    assert torch.equal(joined.predicted, whole.predicted)
    for name in ("softmax", "normalized"):
        a, b = getattr(joined, name), getattr(whole, name)
        assert_close(a.aleatoric, b.aleatoric)
        assert_close(a.epistemic_trace, b.epistemic_trace)
    assert_close(joined.entropy.total, whole.entropy.total)
    assert joined.scores.keys() == whole.scores.keys()
    for name in joined.scores:
        assert_close(joined.scores[name], whole.scores[name])


def test_predict_in_batches_equals_one_pass_and_keeps_every_row():
    model, x = tiny_model(), inputs(10)
    labels = torch.arange(10) % NUM_CLASSES
    batched = predict(model, x, labels=labels, samples=3, batch_size=4, posterior_mean=True)
    whole = predict(model, x, labels=labels, samples=3, batch_size=10, posterior_mean=True)
    assert torch.equal(batched.labels, labels)
    assert_close(batched.probs, whole.probs)
    assert_close(batched.entropy.total, whole.entropy.total)


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True])
def test_invalid_batch_sizes_are_rejected(batch_size):
    with pytest.raises(InvalidArgumentError, match="batch_size must be a positive integer"):
        predict(tiny_model(), inputs(), batch_size=batch_size)


def test_labels_of_another_length_are_rejected():
    with pytest.raises(InvalidArgumentError, match="3 labels for 6 inputs"):
        predict(tiny_model(), inputs(), labels=torch.zeros(3, dtype=torch.long))


def test_predict_loader_accepts_bare_input_batches():
    prediction = predict_loader(tiny_model(), [inputs(3), inputs(2)], samples=2)
    assert len(prediction) == 5 and prediction.labels is None


def test_predict_loader_rejects_batches_with_and_without_labels():
    x = inputs(4)
    with pytest.raises(ValueError, match="labels"):
        predict_loader(tiny_model(), [(x[:2], torch.zeros(2)), x[2:]], samples=2)


def test_predict_loader_rejects_no_batches():
    with pytest.raises(ValueError, match="no batches"):
        predict_loader(tiny_model(), [], samples=2)


def test_chunked_sampling_gives_the_same_shapes():
    prediction = predict(tiny_model(), inputs(4), samples=5, chunk_size=2)
    assert prediction.probs.shape == (4, NUM_CLASSES) and prediction.samples == 5


def test_batchnorm_running_stats_are_unchanged():
    model = tiny_model()
    model.train()
    norm = model[1]
    before = (norm.running_mean.clone(), norm.running_var.clone(), norm.num_batches_tracked.clone())
    predict(model, inputs() * 3 + 2, samples=4)
    after = (norm.running_mean, norm.running_var, norm.num_batches_tracked)
    for old, new in zip(before, after, strict=True):
        assert torch.equal(old, new)


def test_training_flags_of_every_module_are_restored():
    model = tiny_model()
    model.train()
    model[2].eval()  # a mixed state must come back as it was
    flags = [module.training for module in model.modules()]
    predict(model, inputs(), samples=2)
    assert [module.training for module in model.modules()] == flags


def test_decomposition_subset_leaves_the_others_empty():
    prediction = predict(tiny_model(), inputs(), samples=2, decomposition=["entropy"])
    assert prediction.entropy is not None
    assert prediction.softmax is None and prediction.normalized is None
    assert "entropy" in prediction.scores


def test_unknown_decomposition_is_rejected():
    with pytest.raises(UnknownNameError, match="softmax"):
        predict(tiny_model(), inputs(), samples=2, decomposition="variance")


@pytest.mark.parametrize("samples", [0, -1, 2.5])
def test_invalid_sample_counts_are_rejected(samples):
    with pytest.raises(InvalidArgumentError, match="samples"):
        predict(tiny_model(), inputs(), samples=samples)


def test_every_registered_score_is_computed_by_default():
    prediction = predict(tiny_model(), inputs(), samples=2)
    assert list(prediction.scores) == list_ood_scores()


def test_scores_subset_gives_only_those_scores_in_that_order():
    prediction = predict(tiny_model(), inputs(), samples=2, scores=["energy", "max_prob"])
    assert list(prediction.scores) == ["energy", "max_prob"]


def test_unknown_score_is_rejected_before_any_forward_pass():
    model = tiny_model()
    model.register_forward_pre_hook(lambda *_: pytest.fail("the model was run"))
    with pytest.raises(UnknownNameError, match="did you mean 'entropy'"):
        predict(model, inputs(), samples=2, scores=["entropie"])


@pytest.mark.parametrize("nothing", [(), "none"])
def test_asking_for_nothing_gives_probabilities_without_decompositions_or_scores(nothing):
    prediction = predict(tiny_model(), inputs(), samples=3, decomposition=nothing, scores=nothing)
    assert prediction.softmax is None and prediction.normalized is None
    assert prediction.entropy is None and prediction.scores == {}
    assert_close(prediction.probs.sum(dim=-1), torch.ones(len(prediction)))


def test_asking_for_nothing_computes_no_decomposition(monkeypatch):
    # The spies are seen by predict: the test below counts their calls.
    def refuse(*args, **kwargs):
        raise AssertionError("a decomposition was computed")

    for name in (
        "covariance_decomposition",
        "entropy_decomposition",
        "normalized_decomposition",
        "softmax_decomposition",
    ):
        monkeypatch.setattr(decomposition_module, name, refuse)
    prediction = predict(tiny_model(), inputs(), samples=3, decomposition=(), scores=())
    assert prediction.probs.shape == (6, NUM_CLASSES)


def test_probabilities_do_not_depend_on_what_else_is_asked():
    model, x = tiny_model(), inputs()
    torch.manual_seed(3)
    nothing = predict(model, x, samples=4, decomposition=(), scores=())
    torch.manual_seed(3)
    everything = predict(model, x, samples=4)
    assert torch.equal(nothing.probs, everything.probs)


def test_each_decomposition_is_computed_once_per_batch_for_decompositions_and_scores(monkeypatch):
    calls = {"covariance_decomposition": 0, "entropy_decomposition": 0}
    for name in calls:
        original = getattr(decomposition_module, name)

        def counted(*args, _name=name, _original=original, **kwargs):
            calls[_name] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(decomposition_module, name, counted)
    batches = [inputs(4), inputs(3)]
    prediction = predict_loader(
        tiny_model(), batches, samples=3, decomposition=["softmax", "entropy"]
    )
    assert {"entropy", "mutual_info", "aleatoric_trace", "epistemic_trace"} <= set(
        prediction.scores
    )
    assert calls == {"covariance_decomposition": 2, "entropy_decomposition": 2}


def test_scores_that_need_no_decomposition_compute_none(monkeypatch):
    for name in ("covariance_decomposition", "entropy_decomposition"):
        monkeypatch.setattr(decomposition_module, name, lambda *a, **k: pytest.fail("decomposed"))
    prediction = predict(
        tiny_model(),
        inputs(),
        samples=3,
        decomposition=(),
        scores=("max_prob", "energy", "max_logit"),
    )
    assert list(prediction.scores) == ["max_prob", "energy", "max_logit"]


def test_a_user_registered_score_is_computed_by_predict(restore_ood_scores):
    register_ood_score("spread", needs="logits")(lambda logits: logits.std(dim=(0, 2)))
    prediction = predict(tiny_model(), inputs(), samples=3, decomposition=(), scores="spread")
    assert list(prediction.scores) == ["spread"] and prediction.scores["spread"].shape == (6,)


def test_importing_metrics_before_uncertainty_works():
    code = "import bayescnn.metrics, bayescnn.uncertainty; print(bayescnn.uncertainty.predict)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


class LogitsAndKL(nn.Module):
    """A network of the original's kind: ``forward`` returns ``(logits, kl)``."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.model(x), torch.zeros(())


def test_a_network_returning_logits_and_kl_predicts_like_its_logits():
    plain, paired = tiny_model(), LogitsAndKL(tiny_model())
    torch.manual_seed(3)
    expected = predict(plain, inputs(), samples=3)
    torch.manual_seed(3)
    got = predict(paired, inputs(), samples=3)
    assert_close(got.probs, expected.probs)
    assert_close(got.entropy.epistemic, expected.entropy.epistemic)


def test_the_original_bbb_lenet_predicts_over_batches():
    from bayescnn.compat.models import BBBLeNet

    model = BBBLeNet(10, 1, None)
    x = torch.randn(5, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    prediction = predict_loader(model, [(x[:3], torch.arange(3)), (x[3:], torch.arange(2))])
    assert prediction.probs.shape == (5, 10) and prediction.samples == 25


def _fields(prediction: Prediction) -> dict[str, torch.Tensor]:
    """Every tensor of a prediction, by name (a decomposition's fields and the scores)."""
    tensors = {"probs": prediction.probs, "predicted": prediction.predicted}
    tensors["labels"] = prediction.labels
    for name in ("softmax", "normalized", "entropy"):
        for key, value in vars(getattr(prediction, name)).items():
            if value is not None:
                tensors[f"{name}.{key}"] = value
    return tensors | {f"score.{name}": value for name, value in prediction.scores.items()}


@pytest.mark.parametrize("form", [None, "pooled", "per-sample"])
@pytest.mark.parametrize("calibrated", [True, False])
def test_one_pass_of_raw_logits_predicts_exactly_what_predict_loader_does(form, calibrated):
    model = tiny_model()
    set_temperature(model, None if form is None else 1.7, form=form or "pooled")
    x = inputs(7)
    batches = [(x[:4], torch.arange(4)), (x[4:], torch.arange(3))]
    torch.manual_seed(2)
    expected = predict_loader(model, batches, samples=3, calibrated=calibrated)
    torch.manual_seed(2)
    drawn = list(sampled_batches(model, batches, samples=3, calibrated=False))
    read = predict_from_logits(model, drawn, calibrated=calibrated)
    assert read.samples == expected.samples == 3
    assert _fields(read).keys() == _fields(expected).keys()
    for name, value in _fields(read).items():
        assert torch.equal(value, _fields(expected)[name]), name


def test_logits_drawn_without_a_model_are_read_raw():
    logits = torch.randn(4, 5, 3, generator=torch.Generator().manual_seed(0))
    prediction = predict_from_logits(None, [(logits, torch.arange(5) % 3)], scores="max_prob")
    assert_close(prediction.probs, logits.softmax(-1).mean(0))
    assert prediction.samples == 4 and list(prediction.scores) == ["max_prob"]


def test_predicting_from_no_logits_is_an_error():
    with pytest.raises(InvalidArgumentError, match="no batches to predict on"):
        predict_from_logits(tiny_model(), [])


@pytest.mark.parametrize("temperature", [None, 0.05, 20.0])
def test_predictions_over_a_thousand_classes_pass_the_metrics_check_of_probabilities(temperature):
    # float32 softmaxes, their mean and the pooled temperature's softmax all sum to 1 within
    # 1e-6, far inside the metrics' 1e-4: the library never refuses its own predictions.
    from bayescnn.metrics import brier_score, calibration_error, nll

    torch.manual_seed(0)
    model = bnn.Linear(6, 1000, posterior_rho_init=(-2.0, 0.1))
    if temperature is not None:
        set_temperature(model, temperature, form="pooled")
    x, labels = 10 * torch.randn(200, 6), torch.randint(0, 1000, (200,))  # logits up to ~30
    prediction = predict(model, x, samples=4, batch_size=100, decomposition="entropy", scores=())
    assert (prediction.probs.sum(-1, dtype=torch.float64) - 1).abs().max() < 1e-6
    for metric in (nll, brier_score, calibration_error):
        metric(prediction.probs, labels)
