"""Issue #23's comparison: every method the same way, raw and calibrated, over seeds.

``python -m benchmarks.comparison [--device cuda] [--workers N] [--only PREFIX,...]
[--seeds 0 1 2] [--quick] [--out FILE.jsonl]``

Each run is a user's plain loop on ``bayescnn.models.create(...)``: LeNet-5, Adam 1e-3,
batch 256, 10 epochs, ``expected NLL (over samples/members) + kl_divergence(model) / N``
(no KL for plain networks), on the 80% training part of one fixed split of the
training set (split seed 0 for every run of a dataset, so that ensembles are calibrated
on a split every member held out); then ``bayescnn.calibrate`` on the other 20%, and
25 samples on the test set and the dataset's OOD set, raw and calibrated: accuracy,
NLL, ECE and the OOD AUROC of every score. Calibration is ``bayescnn.calibrate``'s default
form (pooled since it exists; a record's ``temperature.form``, absent in the records made
before it: per sample); the per-sample form is also fitted on the same draws and its
validation NLL kept (``temperature_per_sample``). Ensembles train their members in the same
job (member m of seed s: init seed ``1000 + 100 s + m``) and are scored as one
:class:`bayescnn.nn.Ensemble` (pooled samples, one temperature).

One JSON line per ``(dataset, method, seed)`` goes to ``--out`` as it finishes; lines
already there are skipped, so an interrupted run resumes. Jobs run in ``--workers``
processes (one torch thread each), each loading a dataset once.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
DATASETS = {"fmnist": "fashion-mnist", "mnist": "mnist"}
OOD_SETS = {"fmnist": "digits", "mnist": "fashion-mnist"}
SPLIT_SEED = 0
VALID_FRACTION = 0.2
BATCH_SIZE = 256
LR = 1e-3
IMAGE_SIZE = 32
SCORES = ("mutual_info", "entropy", "energy", "max_logit", "max_prob")


@dataclass(frozen=True)
class Method:
    """One way to build and train LeNet-5 (``create`` keywords, optimiser rho scale,
    ``ensemble`` members trained separately and pooled).

    The published records were measured with the spread set through the optimiser
    (``rho_lr_scale=K``, every ``create`` at ``rho_scale=1``); the methods now name the
    model's own ``rho_scale=K`` with plain Adam, the same Adam trajectory (tested in
    ``tests/train/test_step.py``) and what a user's loop on ``models.create`` gets."""

    create: dict[str, Any] = field(default_factory=dict)
    rho_lr_scale: float = 1.0
    ensemble: int = 1
    bayesian: bool = True
    split_batch: bool = False
    """Packed members each train on their share of every batch (:func:`split_batch`)."""


def _methods() -> dict[str, Method]:
    found = {
        "twin": Method({"bayesian": False}, bayesian=False),
        "mc-dropout": Method({"bayesian": False, "dropout": 0.25}, bayesian=False),
        "deep-ensemble-5": Method({"bayesian": False}, ensemble=5, bayesian=False),
    }
    for layers, tag in (("all", "all"), ("fc*", "head")):
        for scale in (1, 2, 3, 5):
            found[f"bayes-{tag}-rho{scale}"] = Method(
                {"bayesian": True, "bayesian_layers": layers, "rho_scale": scale}
            )
    # the members measured before weight sampling became theirs name Flipout, as they ran
    for scale in (1, 3):
        found[f"members-4-rho{scale}"] = Method(
            {"bayesian": True, "members": 4, "rho_scale": scale, "estimator": "flipout"}
        )
        found[f"bayes-ensemble-4-rho{scale}"] = Method(
            {"bayesian": True, "bayesian_layers": "all", "rho_scale": scale}, ensemble=4
        )
    found["members-4-bbb-rho1"] = Method(
        {"bayesian": True, "members": 4, "rho_scale": 1, "estimator": "bbb"}
    )
    found["members-4-bbb-split-rho1"] = Method(
        {"bayesian": True, "members": 4, "rho_scale": 1, "estimator": "bbb"}, split_batch=True
    )
    found["members-4-half-rho3"] = Method(
        {
            "bayesian": True,
            "members": 4,
            "member_width": 0.5,
            "rho_scale": 3,
            "estimator": "flipout",
        }
    )
    found["packed-twins-4"] = Method({"bayesian": False, "members": 4}, bayesian=False)
    found["rank1-4"] = Method({"bayesian": True, "posterior_family": "rank1", "members": 4})
    return found


METHODS: dict[str, Method] = _methods()

TIERS: tuple[tuple[str, ...], ...] = (
    ("twin", "mc-dropout", "bayes-all-rho1", "bayes-all-rho3", "bayes-head-rho1",
     "bayes-head-rho3", "members-4-rho3", "members-4-half-rho3", "rank1-4", "packed-twins-4",
     "members-4-bbb-rho1"),
    ("deep-ensemble-5",),
    ("bayes-all-rho2", "bayes-all-rho5", "bayes-head-rho2", "bayes-head-rho5", "members-4-rho1"),
    ("bayes-ensemble-4-rho3", "bayes-ensemble-4-rho1"),
    ("members-4-bbb-split-rho1",),
)  # fmt: skip
"""The order jobs are run in, most needed first (a run cut short keeps the first tiers)."""


def tier(method: str) -> int:
    """The method's place in :data:`TIERS` (unlisted methods last)."""
    return next((i for i, names in enumerate(TIERS) if method in names), len(TIERS))


@dataclass(frozen=True)
class Job:
    tag: str
    method: str
    seed: int
    epochs: int
    samples: int
    limit_train: int | None
    limit_test: int | None
    device: str
    data_dir: str | None
    sample_sweep: tuple[int, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.tag}/{self.method}/seed{self.seed}"


_DATA: dict[tuple[str, int | None, int | None, str], tuple[Any, ...]] = {}


def _data(job: Job) -> tuple[Any, ...]:
    """(train, valid, test, ood loaders' data, spec), loaded once per worker."""
    from bayescnn.data import get_spec, load_dataset, load_ood_set, train_valid_split

    key = (job.tag, job.limit_train, job.limit_test, job.device)
    if key not in _DATA:
        name = DATASETS[job.tag]
        train, test = load_dataset(name, job.data_dir, image_size=IMAGE_SIZE)
        train, valid = train_valid_split(train, VALID_FRACTION, seed=SPLIT_SEED)
        if job.limit_train is not None:
            train = train.subset(torch.arange(min(job.limit_train, len(train))))
            valid = valid.subset(torch.arange(min(job.limit_train, len(valid))))
        if job.limit_test is not None:
            test = test.subset(torch.arange(min(job.limit_test, len(test))))
        ood = load_ood_set(
            OOD_SETS[job.tag], like=test, data_dir=job.data_dir, seed=0, limit=job.limit_test
        )
        _DATA[key] = (train, valid, test, ood, get_spec(name))
    return _DATA[key]


def plain_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    method: Method,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    num_train: int,
) -> None:
    """One step of a user's plain loop: ``-(1/S) Σ_s log p(y | x, w_s)`` over the samples or
    members ``(S, B, K)`` of one forward, ``+ KL / N`` for a Bayesian network, Adam."""
    import bayescnn
    from bayescnn.train import expected_nll

    out, labels = (
        split_batch(model, inputs, labels) if method.split_batch else (model(inputs), labels)
    )
    loss = expected_nll(out if out.ndim == 3 else out.unsqueeze(0), labels)
    if method.bayesian:
        loss = loss + bayescnn.kl_divergence(model, validate=False) / num_train
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def split_batch(
    model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Packed members that each see a share of the batch: example ``j K + k`` goes to member
    ``k`` alone, so one forward of the packed body over ``B / K`` rows trains all K (one
    network's cost a step, where the shared batch costs K). Returns ``(1, B', C)`` logits
    and their ``B'`` labels (``B'``: the batch cut to a multiple of K). Each member's term
    of the loss is its mean NLL over its share, an unbiased estimate of its NLL over the
    data, as with the shared batch, from K times fewer examples a step."""
    from bayescnn.nn import PackedEnsemble, packed_memory_format

    if not isinstance(model, PackedEnsemble):
        raise TypeError(f"split_batch needs packed members, got {type(model).__name__}")
    members = model.members
    kept = inputs.shape[0] - inputs.shape[0] % members
    rows = inputs[:kept].reshape(kept // members, members * inputs.shape[1], *inputs.shape[2:])
    out = model.body(rows.contiguous(memory_format=packed_memory_format(rows)))
    return out.reshape(1, kept, -1), labels[:kept]


def train_member(method: Method, job: Job, member: int) -> tuple[nn.Module, float]:
    """A user's plain loop on one network; returns it and its training seconds."""
    import bayescnn
    from bayescnn.data import InMemoryLoader

    train, _, _, _, spec = _data(job)
    init_seed = 1000 + 100 * job.seed + member
    torch.manual_seed(init_seed)
    model = bayescnn.models.create("lenet", num_classes=10, in_channels=1, **method.create).to(
        job.device
    )
    loader = InMemoryLoader(
        train, BATCH_SIZE, shuffle=True, seed=init_seed, device=job.device,
        mean=spec.mean, std=spec.std,
    )  # fmt: skip
    optimizer = bayescnn.train.default_optimizer(model, LR, method.rho_lr_scale)
    num_train = len(train)
    model.train()
    if job.device.startswith("cuda"):
        torch.cuda.synchronize()
    started = time.perf_counter()
    for epoch in range(job.epochs):
        loader.set_epoch(epoch)
        for x, y in loader:
            plain_step(model, optimizer, method, x, y, num_train)
    if job.device.startswith("cuda"):
        torch.cuda.synchronize()
    return model, time.perf_counter() - started


def _scored(model: nn.Module, test: Any, ood: Any, samples: int, calibrated: bool) -> dict:
    from bayescnn import predict_loader
    from bayescnn.metrics import accuracy, calibration_error, nll, ood_detection

    options: dict[str, Any] = {"samples": samples, "decomposition": (), "scores": SCORES}
    pred_in = predict_loader(model, test, calibrated=calibrated, **options)
    pred_out = predict_loader(model, ood, calibrated=calibrated, **options)
    assert pred_in.labels is not None
    return {
        "accuracy": accuracy(pred_in.probs, pred_in.labels),
        "nll": nll(pred_in.probs, pred_in.labels),
        "ece": calibration_error(pred_in.probs, pred_in.labels).ece,
        "samples": pred_in.samples,
        "auroc": {s: ood_detection(pred_in.scores[s], pred_out.scores[s]).auroc for s in SCORES},
    }


def run_job(job: Job) -> dict[str, Any]:
    """Train, calibrate and score one ``(dataset, method, seed)``; the record."""
    import bayescnn
    from bayescnn.data import evaluation_loader

    torch.set_num_threads(1)
    method = METHODS[job.method]
    train, valid, test, ood, spec = _data(job)
    trained = [train_member(method, job, m) for m in range(method.ensemble)]
    models = [model for model, _ in trained]
    model = models[0] if len(models) == 1 else bayescnn.nn.Ensemble(models)
    norm = {"mean": spec.mean, "std": spec.std, "device": job.device}
    valid_l, test_l, ood_l = (evaluation_loader(d, **norm) for d in (valid, test, ood))
    # both forms fitted on the same validation draws; the per-sample fit's NLL is kept for
    # comparison, the default (pooled) form is the one kept with the model and scored
    torch.manual_seed(7 + job.seed)
    per_sample = bayescnn.calibrate(model, valid_l, samples=job.samples, form="per-sample")
    torch.manual_seed(7 + job.seed)
    fit = bayescnn.calibrate(model, valid_l, samples=job.samples)
    record: dict[str, Any] = {"key": job.key, **asdict(job), "config": asdict(method)}
    for calibrated in (False, True):
        torch.manual_seed(11 + job.seed)  # the same draws for raw and calibrated
        name = "calibrated" if calibrated else "raw"
        record[name] = _scored(model, test_l, ood_l, job.samples, calibrated)
    record["temperature"] = fit.to_dict()
    record["temperature_per_sample"] = per_sample.to_dict()
    record["by_samples"] = {}
    for samples in job.sample_sweep:  # calibrated again at each S, then scored at it
        torch.manual_seed(7 + job.seed)
        fit_s = bayescnn.calibrate(model, valid_l, samples=samples)
        torch.manual_seed(11 + job.seed)
        scored = _scored(model, test_l, ood_l, samples, calibrated=True)
        record["by_samples"][str(samples)] = {"calibrated": scored, "temperature": fit_s.to_dict()}
    record["train_seconds"] = sum(seconds for _, seconds in trained)
    record["parameters"] = sum(p.numel() for p in model.parameters())
    record["sizes"] = {"train": len(train), "valid": len(valid), "test": len(test),
                       "ood": len(ood)}  # fmt: skip
    return record


def _safe_run(job: Job) -> dict[str, Any]:
    try:
        return run_job(job)
    except Exception:  # a method whose API is missing must not stop the others
        return {"key": job.key, "error": traceback.format_exc()[-2000:]}


def done_keys(out: Path) -> set[str]:
    """Keys of the finished records (errors are retried)."""
    if not out.is_file():
        return set()
    records = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    return {r["key"] for r in records if "error" not in r}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.comparison", description=__doc__)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", default="", help="comma-separated method-name prefixes")
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--samples", type=int, default=25)
    parser.add_argument(
        "--sample-sweep", type=int, nargs="*", default=[],
        help="also calibrate and score at each of these S (record['by_samples'])",
    )  # fmt: skip
    parser.add_argument("--limit-train", type=int, default=None)
    parser.add_argument("--limit-test", type=int, default=None)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--quick", action="store_true", help="1 epoch on 512 images, 4 samples")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results-comparison.jsonl"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs, args.samples, args.limit_train, args.limit_test = 1, 4, 512, 256
    prefixes = tuple(p for p in args.only.split(",") if p)
    names = [m for m in METHODS if not prefixes or m.startswith(prefixes)]
    finished = done_keys(args.out)
    jobs = [
        Job(tag, name, seed, args.epochs, args.samples, args.limit_train, args.limit_test,
            args.device, args.data_dir, tuple(args.sample_sweep))
        for seed in args.seeds for tag in args.datasets for name in names
    ]  # fmt: skip
    jobs = [job for job in jobs if job.key not in finished]
    # by tier, then seed; within those the slowest (ensembles) first
    jobs.sort(key=lambda job: (tier(job.method), job.seed, -METHODS[job.method].ensemble))
    print(f"{len(jobs)} jobs, {args.workers} workers", flush=True)
    started = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    with context.Pool(args.workers, maxtasksperchild=None) as pool, args.out.open("a") as out:
        for record in pool.imap_unordered(_safe_run, jobs):
            out.write(json.dumps(record) + "\n")
            out.flush()
            if "error" in record:
                print(f"FAILED {record['key']}: {record['error'].splitlines()[-1]}", flush=True)
            else:
                cal = record["calibrated"]
                print(f"{time.perf_counter() - started:6.0f}s {record['key']}: "
                      f"acc {cal['accuracy']:.4f} ece {cal['ece']:.4f} "
                      f"MI {cal['auroc']['mutual_info']:.3f} T {record['temperature']['temperature']:.2f} "
                      f"({record['train_seconds']:.0f} s)", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
