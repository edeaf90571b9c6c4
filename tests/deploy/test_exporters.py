"""export_onnx / export_program: the mean network and the Monte-Carlo predictive as files.

Checked by running the files: onnxruntime for ONNX, torch.export.load for the programs.
"""

import numpy as np
import pytest
import torch
from torch import nn

import bayescnn
from bayescnn import nn as bnn
from bayescnn.compat import BBBLeNet
from bayescnn.deploy import (
    INPUT_NAME,
    MEAN_OUTPUTS,
    PREDICTIVE_OUTPUTS,
    ExportError,
    MonteCarloPredictive,
    export,
    export_onnx,
    export_program,
)
from bayescnn.errors import (
    InvalidArgumentError,
    InvalidTypeError,
    ModelInputError,
    UnknownNameError,
)
from bayescnn.uncertainty import entropy_decomposition

ort = pytest.importorskip("onnxruntime")


def _lenet(estimator="lrt", **kwargs):
    torch.manual_seed(0)
    return bayescnn.models.create(
        "lenet", num_classes=10, in_channels=1, image_size=28, estimator=estimator, **kwargs
    )


def _small_net(estimator, *, conv):
    """A small classifier of 8 x 8 images whose posterior has a sizeable sigma (0.13 to
    0.31): a convolution and a linear layer, or two linear layers."""
    torch.manual_seed(0)
    if conv:
        layers = [bnn.Conv2d(1, 4, 3, estimator=estimator), nn.ReLU(), nn.Flatten()]
        layers.append(bnn.Linear(4 * 6 * 6, 5, estimator=estimator))
    else:
        layers = [nn.Flatten(), bnn.Linear(64, 16, estimator=estimator), nn.ReLU()]
        layers.append(bnn.Linear(16, 5, estimator=estimator))
    net = nn.Sequential(*layers)
    with torch.no_grad():
        for layer in bnn.bayesian_layers(net):
            layer.weight_mu.normal_(0, 0.4)
            layer.bias_mu.normal_(0, 0.4)
            layer.weight_rho.uniform_(-2, -1)
            layer.bias_rho.uniform_(-2, -1)
    return net.eval()


def _session(path, seed=0):
    ort.set_seed(seed)
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _posterior_mean_logits(model, x):
    with torch.no_grad(), bayescnn.posterior_mean(model):
        return model(x)


@pytest.fixture(scope="module")
def lenet():
    return _lenet().eval()


@pytest.fixture(scope="module")
def mean_onnx(lenet, tmp_path_factory):
    return export_onnx(lenet, torch.randn(1, 1, 28, 28), tmp_path_factory.mktemp("x") / "m.onnx")


@pytest.mark.parametrize("batch", [1, 8])
def test_the_onnx_mean_network_gives_the_posterior_mean_logits(lenet, mean_onnx, batch):
    x = torch.randn(batch, 1, 28, 28)
    (logits,) = _session(mean_onnx).run(None, {INPUT_NAME: x.numpy()})
    np.testing.assert_allclose(logits, _posterior_mean_logits(lenet, x).numpy(), atol=1e-4)


def test_the_onnx_graphs_name_their_input_and_outputs_and_have_a_dynamic_batch(mean_onnx):
    session = _session(mean_onnx)
    (graph_input,) = session.get_inputs()
    assert graph_input.name == INPUT_NAME and graph_input.shape[1:] == [1, 28, 28]
    assert isinstance(graph_input.shape[0], str), "the batch dimension is symbolic"
    assert tuple(o.name for o in session.get_outputs()) == MEAN_OUTPUTS


def test_the_onnx_mean_network_has_no_random_ops(mean_onnx):
    import onnx

    ops = {node.op_type for node in onnx.load(str(mean_onnx)).graph.node}
    assert not {op for op in ops if op.startswith("Random")}
    assert "Conv" in ops


@pytest.mark.parametrize("batch", [1, 8])
def test_the_program_of_the_mean_network_reloads_and_gives_the_posterior_mean(
    lenet, tmp_path, batch
):
    path = export_program(lenet, torch.randn(3, 1, 28, 28), tmp_path / "m.pt2")
    program = torch.export.load(path).module()
    x = torch.randn(batch, 1, 28, 28)
    torch.testing.assert_close(program(x), _posterior_mean_logits(lenet, x), rtol=1e-5, atol=1e-5)


def test_the_program_of_the_predictive_reloads_and_draws_what_the_module_draws(lenet, tmp_path):
    path = export_program(lenet, torch.randn(1, 1, 28, 28), tmp_path / "p.pt2", samples=6)
    program = torch.export.load(path).module()
    x = torch.randn(5, 1, 28, 28)
    torch.manual_seed(3)
    exported = program(x)
    torch.manual_seed(3)
    expected = MonteCarloPredictive(lenet, 6).eval()(x)
    for got, want in zip(exported, expected, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)


def _torch_predictive_runs(model, x, samples, runs):
    """``runs`` independent S-sample predictives of the library (the training estimator):
    one pass of ``runs * S`` samples, cut into runs."""
    with torch.no_grad():
        logits = bayescnn.sample_forward(model, x, runs * samples)
    probs = logits.softmax(-1).reshape(runs, samples, *logits.shape[1:])
    decompositions = [entropy_decomposition(run) for run in probs]
    means = torch.stack([d.predictive for d in decompositions])
    aleatoric = torch.stack([d.aleatoric for d in decompositions])
    return means.double(), aleatoric.double()


def _onnx_predictive_runs(path, x, runs):
    session = _session(path, seed=1)
    outputs = [session.run(None, {INPUT_NAME: x.numpy()}) for _ in range(runs)]
    means = torch.tensor(np.stack([o[0] for o in outputs]), dtype=torch.float64)
    aleatoric = torch.tensor(np.stack([o[1] for o in outputs]), dtype=torch.float64)
    return means, aleatoric


@pytest.mark.parametrize(("estimator", "conv"), [("bbb", True), ("lrt", False), ("flipout", False)])
def test_the_onnx_predictive_agrees_with_the_pytorch_monte_carlo_predictive(
    estimator, conv, tmp_path
):
    """Over 1,000 runs of S = 16 samples, each example's mean probabilities and expected
    entropy have the same mean (within 5 standard errors) in onnxruntime as in
    bayescnn.sample_forward, and the mean probabilities vary as much from run to run
    (total variance over the classes within a factor 1.33; its standard error is ~5%).

    Not for LRT convolutions: they sample every output position independently, which is
    not the predictive of q(W) that weight sampling computes. (Flipout convolutions
    match too but are slow to sample 16,000 times on the CPU.)"""
    model = _small_net(estimator, conv=conv)
    x = torch.randn(4, 1, 8, 8, generator=torch.Generator().manual_seed(2))
    samples, runs = 16, 1000
    path = export_onnx(model, x, tmp_path / "p.onnx", samples=samples)
    torch.manual_seed(0)
    torch_means, torch_aleatoric = _torch_predictive_runs(model, x, samples, runs)
    onnx_means, onnx_aleatoric = _onnx_predictive_runs(path, x, runs)
    for ours, theirs in ((onnx_means, torch_means), (onnx_aleatoric, torch_aleatoric)):
        standard_error = ((ours.var(0) + theirs.var(0)) / runs).sqrt()
        z = (ours.mean(0) - theirs.mean(0)).abs() / standard_error
        assert z.max() < 5, z
    torch_spread = torch_means.var(0).sum(-1)
    assert torch_spread.min() > 1e-4, "the posterior's sigma must move the predictions"
    ratio = onnx_means.var(0).sum(-1) / torch_spread
    assert ratio.min() > 1 / 1.33 and ratio.max() < 1.33, ratio


def test_the_onnx_predictive_outputs_sum_to_the_entropy_of_the_mean_probabilities(lenet, tmp_path):
    path = export_onnx(lenet, torch.randn(2, 1, 28, 28), tmp_path / "p.onnx", samples=8)
    session = _session(path)
    assert tuple(o.name for o in session.get_outputs()) == PREDICTIVE_OUTPUTS
    x = torch.randn(5, 1, 28, 28).numpy()
    mean_probs, aleatoric, epistemic = session.run(None, {INPUT_NAME: x})
    assert mean_probs.shape == (5, 10) and aleatoric.shape == epistemic.shape == (5,)
    np.testing.assert_allclose(mean_probs.sum(-1), 1, atol=1e-5)
    entropy = -(mean_probs * np.log(mean_probs)).sum(-1)
    np.testing.assert_allclose(aleatoric + epistemic, entropy, rtol=1e-5, atol=1e-6)
    again = session.run(None, {INPUT_NAME: x})
    assert not np.allclose(again[0], mean_probs), "each run draws new weights"


def test_mc_dropout_samples_in_onnxruntime_too(tmp_path):
    model = _lenet(dropout=0.3, posterior_rho_init=(-30.0, 0.0)).eval()  # only dropout samples
    x = torch.randn(3, 1, 28, 28)
    path = export_onnx(model, x, tmp_path / "p.onnx", samples=8)
    _, _, epistemic = _session(path).run(None, {INPUT_NAME: x.numpy()})
    assert (epistemic > 0).all()


def test_a_model_that_returns_logits_and_kl_exports_its_logits(tmp_path):
    model = BBBLeNet(10, 1, None, image_size=28).eval()
    x = torch.randn(2, 1, 28, 28)
    program = torch.export.load(export_program(model, x, tmp_path / "m.pt2")).module()
    torch.testing.assert_close(program(x), _posterior_mean_logits(model, x)[0])


def test_exporting_leaves_the_model_untouched(tmp_path):
    model = _lenet(bayesian_layers="all").train()
    export_program(model, torch.randn(2, 1, 28, 28), tmp_path / "m.pt2", samples=2)
    assert model.training and len(bnn.bayesian_layers(model)) == 5
    assert all(p.requires_grad for p in model.parameters())


def test_export_dispatches_on_the_format_name(lenet, tmp_path):
    path = export(lenet, torch.randn(1, 1, 28, 28), tmp_path / "m.pt2", format="torch-export")
    assert isinstance(torch.export.load(path), torch.export.ExportedProgram)
    with pytest.raises(
        UnknownNameError,
        match="unknown export format 'tflite'; choose one of 'onnx', 'torch-export'",
    ):
        export(lenet, torch.randn(1, 1, 28, 28), tmp_path / "m.tflite", format="tflite")


class _DataDependent(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = bnn.Linear(4, 2)

    def forward(self, x):
        return self.fc(x) if x.sum() > 0 else -self.fc(x)


@pytest.mark.parametrize("exporter", [export_onnx, export_program])
def test_a_model_torch_export_cannot_trace_is_one_clear_error_and_writes_nothing(
    exporter, tmp_path
):
    with pytest.raises(ExportError, match=r"torch\.export cannot trace _DataDependent") as caught:
        exporter(_DataDependent(), torch.randn(2, 4), tmp_path / "m")
    assert isinstance(caught.value, bayescnn.BayesCNNError)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("example", "error", "message"),
    [
        (torch.randn(1, 3, 28, 28), ModelInputError, "does not fit Sequential"),
        (torch.randn(28, 28).flatten(), ModelInputError, "a batch of one or more inputs"),
        (torch.zeros(1, 1, 28, 28, dtype=torch.long), InvalidTypeError, "float tensor"),
        (np.zeros((1, 1, 28, 28), np.float32), InvalidTypeError, "must be a torch.Tensor"),
    ],
    ids=["wrong-channels", "no-batch-dimension", "integer", "numpy"],
)
def test_an_example_input_that_does_not_fit_is_refused(lenet, tmp_path, example, error, message):
    with pytest.raises(error, match=message):
        export_program(lenet, example, tmp_path / "m.pt2")


@pytest.mark.parametrize("samples", [0, 2.5, True])
def test_samples_must_be_a_positive_integer(lenet, tmp_path, samples):
    with pytest.raises(InvalidArgumentError, match="samples must be an integer >= 1"):
        export_program(lenet, torch.randn(1, 1, 28, 28), tmp_path / "m.pt2", samples=samples)


def test_the_program_of_a_calibrated_mean_network_divides_its_logits_by_the_temperature(
    lenet, tmp_path
):
    x = torch.randn(4, 1, 28, 28)
    raw = _posterior_mean_logits(lenet, x)
    calibrated = bayescnn.calibration.set_temperature(lenet, 2.5)
    try:
        program = torch.export.load(export_program(calibrated, x, tmp_path / "m.pt2")).module()
        torch.testing.assert_close(program(x), raw / 2.5, rtol=1e-5, atol=1e-5)
    finally:
        bayescnn.calibration.set_temperature(lenet, None)


@pytest.mark.parametrize("form", ["pooled", "per-sample"])
def test_the_predictive_of_a_calibrated_plain_model_is_its_tempered_softmax(form):
    model = nn.Linear(5, 3)  # one sample: both forms give the tempered softmax itself
    x = torch.randn(4, 5)
    bayescnn.calibration.set_temperature(model, 0.5, form=form)
    mean_probs, _, _ = MonteCarloPredictive(model, 4)(x)
    torch.testing.assert_close(mean_probs, (model(x) / 0.5).softmax(-1))


@pytest.mark.parametrize("form", ["pooled", "per-sample"])
def test_the_predictive_module_keeps_the_models_temperature_and_its_form(form):
    model = bayescnn.calibration.set_temperature(nn.Linear(5, 3), 0.5, form=form)
    predictive = MonteCarloPredictive(model, 2)
    assert bayescnn.calibration.temperature_of(predictive) == 0.5
    assert bayescnn.calibration.temperature_form(predictive) == form == predictive.temperature_form


def _predictive_on_one_draw(model, x, temperature, form):
    bayescnn.calibration.set_temperature(model, temperature, form=form)
    torch.manual_seed(3)
    return MonteCarloPredictive(model, 6)(x)


def test_the_predictive_of_a_pooled_temperature_tempers_the_mean_and_keeps_the_samples_parts():
    from bayescnn.calibration.temperature import temper_predictive

    model = bayescnn.to_bayesian(nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3)))
    x = torch.randn(4, 5)
    raw = _predictive_on_one_draw(model, x, None, "pooled")
    pooled = _predictive_on_one_draw(model, x, 0.5, "pooled")
    torch.testing.assert_close(pooled[0], temper_predictive(raw[0], 0.5))
    torch.testing.assert_close(pooled[1:], raw[1:])
    per_sample = _predictive_on_one_draw(model, x, 0.5, "per-sample")
    assert not torch.allclose(per_sample[2], raw[2])  # sharper samples disagree otherwise


@pytest.mark.parametrize("samples", [None, 2])
def test_a_rank1_model_is_refused_with_an_error_naming_it(tmp_path, samples):
    model = bayescnn.models.create("lenet", posterior_family="rank1", members=2, image_size=28)
    with pytest.raises(InvalidTypeError, match="rank-1 model"):
        export_program(model, torch.randn(2, 1, 28, 28), tmp_path / "m.pt2", samples=samples)
