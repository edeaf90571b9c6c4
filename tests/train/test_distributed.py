"""Data-parallel training on torch.distributed (2 CPU processes, gloo) keeps the ELBO exact."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

import bayescnn
from bayescnn.train import ELBO
from bayescnn.train.distributed import Distributed, exit_process, teardown

NUM_TRAIN = 1000  # the whole training set's size, the same on every rank


def _model(estimator):
    torch.manual_seed(0)
    return bayescnn.models.create("lenet", estimator=estimator, in_channels=1, image_size=28)


def _global_batch():
    generator = torch.Generator().manual_seed(1)
    return torch.randn(8, 1, 28, 28, generator=generator), torch.randint(
        0, 10, (8,), generator=generator
    )


def _ddp_worker(rank, estimator, store, out):
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=2)
    model = _model(estimator)
    ddp = torch.nn.parallel.DistributedDataParallel(model)
    x, y = _global_batch()
    x, y = x[rank * 4 : (rank + 1) * 4], y[rank * 4 : (rank + 1) * 4]
    torch.manual_seed(100 + rank)  # each rank its own noise
    ELBO(num_train=NUM_TRAIN)(ddp, x, y, kl_model=model).loss.backward()
    if rank == 0:
        torch.save({k: p.grad for k, p in model.named_parameters()}, out)
    teardown(Distributed(rank, 2, torch.device("cpu")))  # barrier, then leave the group
    exit_process(0)  # as the command line ends: no finalizer on the group DDP kept alive


@pytest.mark.slow
@pytest.mark.parametrize("estimator", ["bbb", "lrt", "flipout"])
def test_a_two_process_ddp_gradient_equals_the_single_process_elbo_gradient(tmp_path, estimator):
    out = tmp_path / "grads.pt"
    mp.spawn(_ddp_worker, args=(estimator, tmp_path / "store", out), nprocs=2, join=True)
    ddp_grads = torch.load(out, weights_only=True)

    model = _model(estimator)
    x, y = _global_batch()
    logits = []
    for rank in range(2):  # the same noise as the ranks drew, for the same examples
        torch.manual_seed(100 + rank)
        logits.append(model(x[rank * 4 : (rank + 1) * 4]))
    ELBO(num_train=NUM_TRAIN).terms(
        torch.cat(logits), y, bayescnn.kl_divergence(model)
    ).loss.backward()
    for name, parameter in model.named_parameters():
        torch.testing.assert_close(ddp_grads[name], parameter.grad, rtol=1e-5, atol=1e-7, msg=name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_torchrun_with_two_processes_matches_a_single_process_run(tmp_path, tiny_mnist_dir):
    common = [
        "--dataset", "mnist", "--data-dir", str(tiny_mnist_dir), "--image-size", "28",
        "--epochs", "2", "--lr", "0.003", "--valid-samples", "2", "--test-samples", "4",
        "--device", "cpu",
    ]  # fmt: skip
    env = os.environ | {"CI": "1", "OMP_NUM_THREADS": "1"}
    single = subprocess.run(
        [sys.executable, "-m", "bayescnn.cli.main", "train", *common, "--batch-size", "50",
         "--run-dir", str(tmp_path / "single")],
        env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert single.returncode == 0, single.stderr
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
                "--master_addr=127.0.0.1", f"--master_port={_free_port()}"]  # fmt: skip
    double = subprocess.run(
        [*torchrun, "-m", "bayescnn.cli.main", "train", *common, "--batch-size", "25",
         "--run-dir", str(tmp_path / "ddp")],
        env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert double.returncode == 0, double.stderr[-3000:]
    one = json.loads((tmp_path / "single" / "test.json").read_text())["predictive"]
    two = json.loads((tmp_path / "ddp" / "test.json").read_text())["predictive"]
    assert two["accuracy"] > 0.7 and abs(one["accuracy"] - two["accuracy"]) < 0.03
    files = sorted(p.name for p in (tmp_path / "ddp").iterdir())
    assert files.count("train.log") == 1 and files.count("last.safetensors") == 1
    log = (tmp_path / "ddp" / "train.log").read_text()
    assert "800 train" in log and log.count("epoch 2") == 1


@pytest.mark.slow
def test_a_two_process_run_resumed_under_torchrun_ends_like_an_uninterrupted_one(
    tmp_path, tiny_mnist_dir
):
    from bayescnn.io import load_checkpoint, save_checkpoint

    common = [
        "--dataset", "mnist", "--data-dir", str(tiny_mnist_dir), "--image-size", "28",
        "--lr", "0.003", "--valid-samples", "2", "--test-samples", "2",
        "--device", "cpu", "--batch-size", "32",
    ]  # fmt: skip
    env = os.environ | {"CI": "1", "OMP_NUM_THREADS": "1"}

    def torchrun(*args):
        command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
                   "--master_addr=127.0.0.1", f"--master_port={_free_port()}",
                   "-m", "bayescnn.cli.main", "train", *args]  # fmt: skip
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stderr[-3000:]

    torchrun(*common, "--epochs", "2", "--run-dir", str(tmp_path / "straight"))
    torchrun(*common, "--epochs", "1", "--run-dir", str(tmp_path / "cut"))
    last = tmp_path / "cut" / "last.safetensors"
    checkpoint = load_checkpoint(last)  # as if a 2-epoch run had stopped after epoch 1
    metadata = dict(checkpoint.metadata)
    metadata["config"] = metadata["config"] | {"epochs": 2}
    save_checkpoint(
        last, model_state=checkpoint.model_state, metadata=metadata, extra=checkpoint.extra
    )
    (tmp_path / "cut" / "test.json").unlink()
    torchrun("--resume", str(tmp_path / "cut"))
    straight = json.loads((tmp_path / "straight" / "test.json").read_text())
    assert json.loads((tmp_path / "cut" / "test.json").read_text()) == straight


LOSE_A_WORKER = Path(__file__).with_name("lose_a_worker.py")


@pytest.mark.slow
def test_a_worker_killed_mid_epoch_under_torchrun_costs_a_restart_not_the_run(
    tmp_path, tiny_mnist_dir
):
    """Rank 1 is SIGKILLed after step 2 of epoch 2; torchrun (--max-restarts=1) restarts both
    workers with the same command, which --resume-if-exists continues from epoch 1's
    checkpoint, and the run ends exactly as one that lost nothing.

    The rendezvous is c10d with a store of its own per attempt: with torchrun's default
    (static) rendezvous, or c10d sharing the agent's store, the restarted workers can read
    the dead ones' addresses from the first attempt (pytorch/pytorch#135712) and fail in
    init_process_group (gloo's connectFullMesh: 2 restarts of 4 static, 1 of 4 shared;
    0 of 6 with this setting; torch 2.14, a two-rank probe)."""
    env = os.environ | {
        "CI": "1",
        "OMP_NUM_THREADS": "1",
        "TORCH_DISABLE_SHARE_RDZV_TCP_STORE": "1",
    }
    common = [
        "train", "--dataset", "mnist", "--data-dir", str(tiny_mnist_dir), "--image-size", "28",
        "--train-subset", "256", "--batch-size", "32", "--epochs", "2", "--lr", "0.003",
        "--valid-samples", "1", "--test-samples", "2", "--device", "cpu", "--resume-if-exists",
    ]  # fmt: skip

    def torchrun(program, run_dir, **variables):
        command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
                   "--max-restarts=1", "--rdzv-backend=c10d",
                   f"--rdzv-endpoint=127.0.0.1:{_free_port()}",
                   *program, *common, "--run-dir", str(run_dir)]  # fmt: skip
        done = subprocess.run(
            command, env=env | variables, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-3000:]

    started = time.perf_counter()
    torchrun(["-m", "bayescnn.cli.main"], tmp_path / "straight")
    middle = time.perf_counter()
    torchrun([str(LOSE_A_WORKER)], tmp_path / "lost", BAYESCNN_TEST_LOSE_WORKER="1:2:2")
    print(
        f"uninterrupted {middle - started:.1f} s, with a restart {time.perf_counter() - middle:.1f} s"
    )
    log = (tmp_path / "lost" / "train.log").read_text()
    assert log.count("resumed from") == 1 and "at epoch 2" in log, log
    straight = json.loads((tmp_path / "straight" / "test.json").read_text())
    assert json.loads((tmp_path / "lost" / "test.json").read_text()) == straight
    strip = lambda line: {k: v for k, v in json.loads(line).items() if k != "seconds"}  # noqa: E731
    rows = [
        (tmp_path / run / "metrics.jsonl").read_text().splitlines() for run in ("straight", "lost")
    ]
    assert [strip(r) for r in rows[1]] == [strip(r) for r in rows[0]]
