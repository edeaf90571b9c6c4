"""Issue #12's targets table: each verdict follows from the measured numbers."""

from benchmarks.scoring import DEFAULT_LABEL
from benchmarks.targets import targets_rows


def record(accuracy: float, ece: float) -> dict:
    return {"test": {"predictive": {"accuracy": accuracy, "nll": 0.1, "ece": ece}}}


def summary(label: str, accuracy: float, nll: float, ece: float, mi: float) -> dict:
    return {"label": label, "in_distribution": {"accuracy": accuracy, "nll": nll, "ece": ece},
            "ood_detection": {"mutual_info": {"auroc": mi}}}  # fmt: skip


def verdicts(rows: list[list[str]]) -> dict[tuple[str, str], str]:
    return {(way, target): met for way, target, _, met in rows}


def test_the_cli_targets_follow_the_default_run_and_the_twin():
    records = {
        "mnist-lenet-bayesian-flipout": record(0.9904, 0.0044),
        "mnist-lenet-frequentist-seed0": record(0.9873, 0.0031),
        "fmnist-lenet-bayesian-flipout": record(0.8800, 0.0080),
        "fmnist-lenet-frequentist-seed0": record(0.8853, 0.0088),
    }
    summaries = {"mnist": [summary(DEFAULT_LABEL, 0.99, 0.03, 0.004, 0.964)],
                 "fmnist": [summary(DEFAULT_LABEL, 0.88, 0.31, 0.008, 0.931)]}  # fmt: skip
    found = verdicts(targets_rows(records, summaries, {}, DEFAULT_LABEL))
    cli = "bayescnn train"
    assert found[(cli, "MNIST accuracy >= 99.0% and within 0.3 points of the twin")] == "yes"
    assert found[(cli, "MNIST ECE <= the twin's")] == "**no**"
    assert found[(cli, "Fashion-MNIST accuracy within 0.5 points of the twin")] == "**no**"  # 0.53
    assert found[(cli, "Fashion-MNIST ECE <= the twin's")] == "yes"
    assert (
        found[(cli, "OOD AUROC by mutual information, MNIST vs Fashion-MNIST >= 0.97")] == "**no**"
    )
    assert found[(cli, "OOD AUROC by mutual information, Fashion-MNIST vs digits >= 0.93")] == "yes"
    assert not any(way == "plain loop" for way, _ in found)  # not measured: no rows, no guesses


def test_the_plain_loop_rows_and_the_comparison_against_mc_dropout():
    plain = {"mnist": {"rows": [
        {"accuracy": 0.9890, "nll": 0.03, "ece": 0.002, "auroc_mutual_info": 0.975},
        {"accuracy": 0.9900, "nll": 0.03, "ece": 0.003, "auroc_mutual_info": 0.5},
    ]}}  # fmt: skip
    summaries = {"mnist": [summary(DEFAULT_LABEL, 0.990, 0.030, 0.004, 0.964),
                           summary("MC dropout (p = 0.25)", 0.991, 0.037, 0.013, 0.951)]}  # fmt: skip
    rows = targets_rows({}, summaries, plain, DEFAULT_LABEL)
    found = verdicts(rows)
    assert (
        found[("plain loop", "MNIST accuracy >= 99.0% and within 0.3 points of the twin")]
        == "**no**"
    )
    assert found[("plain loop", "MNIST ECE <= the twin's")] == "yes"
    assert (
        found[("plain loop", "OOD AUROC by mutual information, MNIST vs Fashion-MNIST >= 0.97")]
        == "yes"
    )
    assert (
        found[("bayescnn train", "MNIST: matches or beats MC dropout")]
        == "**no** (loses on accuracy)"
    )
