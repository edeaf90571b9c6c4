"""Run by tests/lightning/test_ddp.py: ``python ddp_one_step.py OUT_DIR``.

One training step of a BayesianClassifier under Lightning's own ``ddp`` strategy (2 CPU
processes, gloo; Lightning re-launches this script for rank 1), then a validation pass
in posterior-mean mode. Each rank writes ``OUT_DIR/rank{r}.pt``: the minibatch it
trained on, its gradients after DDP's all-reduce and its validation metrics; rank 0
also writes the model before (``model.pt``) and after (``trained.pt``) the step.
"""

import sys
from pathlib import Path

import lightning as L
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import bayescnn
from bayescnn.lightning import BayesianClassifier
from bayescnn.train.distributed import exit_process

NUM_TRAIN = 1000  # the whole training set's size, the same on every rank
BETA = 0.5
TRAIN_SAMPLES = 2
NOISE_SEED = 100  # rank r draws its weight noise from seed NOISE_SEED + r


def tiny_model() -> nn.Module:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 6 * 6, 3))
    return bayescnn.to_bayesian(net, bayesian_layers="all")  # the convolution too


def dataset(count: int, seed: int) -> TensorDataset:
    generator = torch.Generator().manual_seed(seed)
    return TensorDataset(
        torch.randn(count, 1, 8, 8, generator=generator),
        torch.randint(0, 3, (count,), generator=generator),
    )


class RecordFirstStep(L.Callback):
    """Seeds each rank's noise, keeps its minibatch and its all-reduced gradients."""

    def __init__(self) -> None:
        self.record: dict[str, object] = {}

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        torch.manual_seed(NOISE_SEED + trainer.global_rank)
        self.record["batch"] = [t.clone() for t in batch]

    def on_before_optimizer_step(self, trainer, pl_module, optimizer) -> None:
        self.record["grads"] = {
            name: p.grad.clone() for name, p in pl_module.model.named_parameters()
        }


def main(out: Path) -> None:
    model = tiny_model()
    module = BayesianClassifier(
        model, NUM_TRAIN, beta=BETA, train_samples=TRAIN_SAMPLES, valid_samples=3
    )
    recorder = RecordFirstStep()
    trainer = L.Trainer(
        accelerator="cpu",
        devices=2,
        strategy="ddp",
        max_steps=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        callbacks=[recorder],
    )
    if trainer.global_rank == 0:
        out.mkdir(parents=True, exist_ok=True)
        torch.save(model, out / "model.pt")
    trainer.fit(module, DataLoader(dataset(8, seed=1), batch_size=4))
    if trainer.global_rank == 0:
        torch.save(model, out / "trained.pt")
    bayescnn.set_posterior_mean(model, True)  # a deterministic predictive
    trainer.validate(module, DataLoader(dataset(7, seed=2), batch_size=2), verbose=False)
    recorder.record["valid"] = {
        k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("valid/")
    }
    torch.save(recorder.record, out / f"rank{trainer.global_rank}.pt")
    # leave the process group, then the process without interpreter finalization: the
    # group DDP leaks was torn down there and once aborted a rank ("terminate called
    # without an active exception"; see bayescnn.train.distributed.exit_process)
    if torch.distributed.is_initialized():
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
    exit_process(0)
