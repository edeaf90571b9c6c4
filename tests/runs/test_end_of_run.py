"""The end of a run, after its last epoch: one Monte-Carlo pass over the validation split
(the temperature and every threshold) and one over the test set (the raw and the
calibrated predictive), and what they give is what the calibrated run predicts."""

from collections import Counter
from pathlib import Path

import pytest
import torch
from torch import nn

from bayescnn import defaults
from bayescnn.cli.main import main
from bayescnn.nn.sampling import Stochastic
from bayescnn.runs import TrainConfig, load_splits, make_loader, open_run, train_run
from bayescnn.seeding import Stream, seeded
from bayescnn.train import Callback, evaluate
from bayescnn.uncertainty import predict_loader

SAMPLES = 3  # the runs' test_samples


class PassCounter:
    """Counts the passes of a classifier over a run's validation and test splits.

    A forward hook finds each input image's split by its pixels and counts the network's
    output rows (samples x images) per split, sampling or at the posterior mean; a pass
    is one row per sample for every image of the split.
    """

    def __init__(self, config: TrainConfig) -> None:
        splits = load_splits(config)
        self.split_of: dict[bytes, str] = {}
        self.sizes = {"validation": len(splits.valid), "test": len(splits.test)}
        for name, data in (("validation", splits.valid), ("test", splits.test)):
            for images, _ in make_loader(data, splits, config, torch.device("cpu"), train=False):
                self.split_of |= {image.numpy().tobytes(): name for image in images}
        self.rows: Counter[tuple[str, str]] = Counter()

    def watch(self, model: nn.Module) -> nn.Module:
        model.register_forward_hook(self._count)
        return model

    def _count(self, module: nn.Module, args: tuple, output: torch.Tensor) -> None:
        images = args[0]
        sampling = any(m.sample for m in module.modules() if isinstance(m, Stochastic))
        for image in images:
            split = self.split_of.get(image.detach().cpu().numpy().tobytes(), "another split")
            kind = "sampled" if sampling else "posterior mean"
            self.rows[split, kind] += output.shape[0] // images.shape[0]

    def passes(self) -> dict[tuple[str, str], float]:
        """Passes by ``(split, 'sampled' | 'posterior mean')``: ``SAMPLES`` rows per image
        of the split make one Monte-Carlo pass, one row per image a posterior-mean one."""
        return {
            (split, kind): rows / (self.sizes.get(split, 1) * (SAMPLES if kind == "sampled" else 1))
            for (split, kind), rows in self.rows.items()
        }


ONE_PASS_EACH = {
    ("validation", "sampled"): 1.0,  # the temperature's fit and every threshold
    ("test", "sampled"): 1.0,  # the raw and the calibrated predictive
    ("test", "posterior mean"): 1.0,  # the posterior-mean network's metrics
}


class _WatchAfterTraining(Callback):
    def __init__(self, counter: PassCounter) -> None:
        self.counter = counter

    def on_fit_end(self, state) -> None:
        self.counter.watch(state.model)


@pytest.fixture(scope="module")
def counted_run(tmp_path_factory, short_run_config):
    """A 1-epoch calibrated run of the tiny MNIST, its config and its end's pass count."""
    config = short_run_config(out_dir=str(tmp_path_factory.mktemp("runs")), test_samples=SAMPLES)
    counter = PassCounter(config)
    folder, _ = train_run(
        config, Path(config.out_dir) / "run", callbacks=[_WatchAfterTraining(counter)]
    )
    return folder, config, counter


def test_the_end_of_a_run_passes_once_over_validation_and_once_over_test(counted_run):
    folder, _, counter = counted_run
    for name in ("calibration.json", "uncertainty_threshold.json", "test.json"):
        assert (folder / name).is_file(), name
    assert counter.passes() == ONE_PASS_EACH


def test_calibrating_a_run_again_passes_once_over_validation_and_once_over_test(
    counted_run, monkeypatch, capsys
):
    import bayescnn.runs.compared

    folder, config, _ = counted_run
    counter = PassCounter(config)
    load_compared = bayescnn.runs.compared.load_compared

    def watched(*args, **kwargs):
        compared = load_compared(*args, **kwargs)
        counter.watch(compared.model)
        return compared

    monkeypatch.setattr(bayescnn.runs.compared, "load_compared", watched)
    assert main(["calibrate", str(folder), "--device", "cpu"]) == 0
    assert counter.passes() == ONE_PASS_EACH


def test_the_test_report_and_the_thresholds_are_what_the_calibrated_run_predicts(counted_run):
    import json

    folder, config, _ = counted_run
    report = json.loads((folder / "test.json").read_text())
    stored = json.loads((folder / "uncertainty_threshold.json").read_text())
    model = open_run(folder).model  # with the temperature fitted at the end of the run
    splits = load_splits(config)
    cpu = torch.device("cpu")
    with seeded(config.seed, cpu, epoch=config.epochs, stream=Stream.TEST):  # the run's draws
        predictive = evaluate(
            model, make_loader(splits.test, splits, config, cpu, train=False), samples=SAMPLES
        )
    with seeded(config.seed, cpu, epoch=config.epochs, stream=Stream.VALID):
        valid = predict_loader(
            model,
            make_loader(splits.valid, splits, config, cpu, train=False),
            samples=SAMPLES,
            decomposition="none",
            scores="all",
        )
    assert report["predictive"] == predictive
    quantile = 1 - defaults.FLAG_RATE
    assert stored["thresholds"] == {
        name: float(torch.quantile(values.double(), quantile))
        for name, values in valid.scores.items()
    }
