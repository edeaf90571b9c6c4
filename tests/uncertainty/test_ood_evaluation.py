"""evaluate_ood: predictions on an in-distribution and an OOD set, and what they score."""

import pytest
import torch

from bayescnn import models
from bayescnn.data import ImageData, load_ood_set
from bayescnn.errors import InvalidArgumentError
from bayescnn.metrics import calibration_error, ood_detection
from bayescnn.uncertainty import evaluate_ood, list_ood_scores, predict_loader


def _sets() -> tuple[ImageData, ImageData]:
    probe = ImageData(
        images=torch.zeros(1, 1, 16, 16, dtype=torch.uint8),
        labels=torch.zeros(1, dtype=torch.int64),
        classes=("x",),
    )
    in_data = load_ood_set("digits", like=probe, limit=20)
    return in_data, load_ood_set("noise", like=in_data, limit=12)


@pytest.fixture(scope="module")
def evaluation():
    torch.manual_seed(0)
    model = models.create("lenet", in_channels=1, image_size=16, num_classes=10)
    in_data, ood_data = _sets()
    torch.manual_seed(1)
    return evaluate_ood(model, in_data, ood_data, mean=(0.5,), std=(0.5,), samples=3)


def test_both_sets_get_every_decomposition_and_score(evaluation):
    for prediction, size in ((evaluation.in_prediction, 20), (evaluation.ood_prediction, 12)):
        assert len(prediction) == size and prediction.samples == 3
        assert None not in (prediction.softmax, prediction.normalized, prediction.entropy)
        assert set(prediction.scores) == set(list_ood_scores())
    assert evaluation.in_prediction.labels is not None


def test_detection_and_calibration_are_scored_from_the_predictions(evaluation):
    pred_in, pred_out = evaluation.in_prediction, evaluation.ood_prediction
    for name, result in evaluation.detection.items():
        assert result == ood_detection(pred_in.scores[name], pred_out.scores[name])
    assert evaluation.calibration_error.ece == calibration_error(pred_in.probs, pred_in.labels).ece


def test_the_summary_is_plain_json_numbers(evaluation):
    import json

    summary = evaluation.summary()
    assert json.loads(json.dumps(summary, allow_nan=False)) == summary
    assert set(summary["uncertainty"]) == {"softmax", "normalized", "entropy"}
    assert summary["num_in"] == 20 and summary["num_out"] == 12 and summary["samples"] == 3


def test_the_predictions_are_predict_loaders_for_the_same_seed():
    from bayescnn.data import InMemoryLoader

    torch.manual_seed(0)
    model = models.create("lenet", in_channels=1, image_size=16, num_classes=10)
    in_data, ood_data = _sets()
    torch.manual_seed(1)
    evaluation = evaluate_ood(model, in_data, ood_data, mean=(0.5,), std=(0.5,), samples=2)
    torch.manual_seed(1)
    loader = InMemoryLoader(in_data, 500, shuffle=False, mean=(0.5,), std=(0.5,))
    expected = predict_loader(model, loader, samples=2)
    torch.testing.assert_close(evaluation.in_prediction.probs, expected.probs, rtol=0, atol=0)


def test_ood_images_of_another_shape_are_refused():
    in_data, _ = _sets()
    other = load_ood_set("noise", like=in_data, limit=3)
    other = ImageData(images=other.images[:, :, :8], labels=other.labels, classes=other.classes)
    with pytest.raises(InvalidArgumentError, match="must match"):
        evaluate_ood(models.create("lenet"), in_data, other, mean=(0.5,), std=(0.5,))
