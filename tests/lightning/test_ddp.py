"""Under Lightning's own ``ddp`` strategy (2 CPU processes, gloo) the ELBO stays exact."""

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import bayescnn
from bayescnn.train import ELBO, classification_metrics

SCRIPT = Path(__file__).with_name("ddp_one_step.py")
RUN = runpy.run_path(str(SCRIPT))  # its constants and builders, without running it


pytestmark = pytest.mark.slow  # two processes started by Lightning: tens of seconds


@pytest.fixture(scope="module")
def ddp_run(tmp_path_factory) -> Path:
    """The script's output folder: it trains one step and validates under ddp."""
    out = tmp_path_factory.mktemp("ddp")
    env = os.environ | {"OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def _ranks(out: Path) -> list[dict]:
    return [torch.load(out / f"rank{r}.pt", weights_only=True) for r in range(2)]


def test_a_ddp_step_gradient_equals_the_single_process_elbo_gradient_of_the_global_batch(
    ddp_run,
):
    ranks = _ranks(ddp_run)
    model = torch.load(ddp_run / "model.pt", weights_only=False)  # as before the step
    logits = []
    for rank, record in enumerate(ranks):  # the same noise as each rank drew
        torch.manual_seed(RUN["NOISE_SEED"] + rank)
        logits.append(bayescnn.sample_forward(model, record["batch"][0], RUN["TRAIN_SAMPLES"]))
    labels = torch.cat([record["batch"][1] for record in ranks])
    elbo = ELBO(RUN["NUM_TRAIN"], beta=RUN["BETA"], train_samples=RUN["TRAIN_SAMPLES"])
    elbo.terms(torch.cat(logits, dim=1), labels, bayescnn.kl_divergence(model)).loss.backward()

    assert labels.shape == (8,)  # the two ranks trained on the whole global batch
    for name, parameter in model.named_parameters():
        for record in ranks:
            torch.testing.assert_close(
                record["grads"][name], parameter.grad, rtol=1e-5, atol=1e-7, msg=name
            )


def test_ddp_validation_scores_every_example_once_like_a_single_process(ddp_run):
    model = torch.load(ddp_run / "trained.pt", weights_only=False)
    inputs, labels = RUN["dataset"](7, seed=2).tensors  # 7: the sampler pads to 8
    with torch.no_grad(), bayescnn.posterior_mean(model):
        expected = classification_metrics(model(inputs).softmax(-1), labels)

    for record in _ranks(ddp_run):
        logged = {name.removeprefix("valid/"): value for name, value in record["valid"].items()}
        assert logged == pytest.approx(expected, rel=1e-5, abs=1e-6)
