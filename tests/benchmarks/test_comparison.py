"""Issue #23's comparison harness: every method trains, calibrates and is scored the same
way; the tables and the targets follow from the records."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
import torch
from benchmarks.comparison import ROOT

from bayescnn.data import ImageData, get_spec
from benchmarks import comparison, comparison_tables, method_costs


def synthetic(count: int, seed: int) -> ImageData:
    generator = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (count, 1, 32, 32), dtype=torch.uint8, generator=generator)
    labels = torch.randint(0, 10, (count,), generator=generator)
    return ImageData(images, labels, tuple(str(k) for k in range(10)))


def job(method: str, seed: int = 0) -> comparison.Job:
    return comparison.Job("fmnist", method, seed, 1, 2, None, None, "cpu", None)


@pytest.fixture
def tiny_data(monkeypatch: pytest.MonkeyPatch) -> None:
    data = (synthetic(64, 0), synthetic(32, 1), synthetic(32, 2), synthetic(16, 3))
    cache = {("fmnist", None, None, "cpu"): (*data, get_spec("fashion-mnist"))}
    monkeypatch.setattr(comparison, "_DATA", cache)


@pytest.mark.filterwarnings("ignore:the fitted temperature")
@pytest.mark.parametrize(
    "method", ["twin", "mc-dropout", "bayes-head-rho3", "members-4-rho1", "rank1-4"]
)
def test_every_kind_of_method_trains_calibrates_and_is_scored_raw_and_calibrated(
    tiny_data: None, method: str
) -> None:
    record = comparison.run_job(job(method))
    assert record["key"] == f"fmnist/{method}/seed0"
    assert record["temperature"]["temperature"] > 0
    for kind in ("raw", "calibrated"):
        scored = record[kind]
        assert 0 <= scored["accuracy"] <= 1 and 0 <= scored["ece"] <= 1
        assert math.isfinite(scored["nll"])
        assert set(scored["auroc"]) == set(comparison.SCORES)
    members = comparison.METHODS[method].create.get("members", 1)
    draws = 1 if method == "twin" else 2  # a plain network gives one answer
    assert record["raw"]["samples"] == draws * members
    if method == "twin":
        assert record["raw"]["auroc"]["mutual_info"] == 0.5  # no disagreement to score
    # the same draws raw and calibrated: the temperature cannot change the argmax
    assert record["raw"]["accuracy"] == record["calibrated"]["accuracy"]


def test_an_ensemble_trains_its_members_with_their_own_seeds_and_pools_them(
    tiny_data: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(comparison.METHODS, "tiny-ensemble", comparison.Method(
        {"bayesian": False}, ensemble=2, bayesian=False))  # fmt: skip
    record = comparison.run_job(job("tiny-ensemble"))
    assert record["raw"]["samples"] == 2  # one answer per member, pooled
    assert record["parameters"] == 2 * sum(
        p.numel() for p in comparison.train_member(comparison.METHODS["twin"], job("twin"), 0)[0]
        .parameters()
    )  # fmt: skip


def test_finished_records_are_skipped_and_failed_ones_retried(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    out.write_text(
        json.dumps({"key": "fmnist/twin/seed0"}) + "\n"
        + json.dumps({"key": "fmnist/rank1-4/seed0", "error": "boom"}) + "\n"
    )  # fmt: skip
    assert comparison.done_keys(out) == {"fmnist/twin/seed0"}


def test_the_first_tier_runs_first_and_every_listed_method_exists() -> None:
    listed = [name for names in comparison.TIERS for name in names]
    assert set(listed) == set(comparison.METHODS)
    assert comparison.tier("twin") == 0 < comparison.tier("deep-ensemble-5")


def test_a_failing_method_is_recorded_not_raised(tiny_data: None, monkeypatch) -> None:
    monkeypatch.setitem(comparison.METHODS, "broken", comparison.Method({"members": -1}))
    record = comparison._safe_run(job("broken"))
    assert "members" in record["error"]


def summary(accuracy: float, ece: float, mi: float) -> dict[str, float]:
    return {"accuracy": accuracy, "ece": ece, "mi": mi}


def test_targets_are_met_only_when_every_bound_holds() -> None:
    twin = {"fmnist": summary(0.882, 0.0074, 0.5), "mnist": summary(0.9874, 0.0024, 0.5)}
    baselines = {
        "dropout": {"fmnist": summary(0.88, 0.01, 0.919), "mnist": summary(0.99, 0.006, 0.960)},
        "ensemble": {"fmnist": summary(0.89, 0.01, 0.927), "mnist": summary(0.99, 0.004, 0.985)},
    }
    mine = {"fmnist": summary(0.8787, 0.0084, 0.922), "mnist": summary(0.9900, 0.0035, 0.98)}
    rows = comparison_tables.targets_rows("way", mine, twin, baselines, 1.28)
    # F-MNIST: accuracy 0.33 points under the twin, ECE at twin + 0.001, MI >= ensemble - 0.005
    assert [row[3] for row in rows] == ["yes", "yes", "yes", "yes", "**no**", "yes", "yes"]
    assert "0.0035 vs 0.0024" in rows[4][2]  # MNIST: 0.0035 > 0.0024 + 0.001
    slow = comparison_tables.targets_rows("way", mine, twin, baselines, 2.01)
    assert slow[-1][3] == "**no**"
    unmeasured = comparison_tables.targets_rows("way", mine, twin, baselines, None)
    assert unmeasured[-1][3] == "not measured"


@pytest.mark.filterwarnings("ignore:the fitted temperature")
def test_the_tables_are_written_between_their_markers(tmp_path: Path, tiny_data: None) -> None:
    results = tmp_path / "r.jsonl"
    records = [comparison.run_job(job(m, s)) for m in ("twin", "bayes-head-rho3") for s in (0, 1)]
    results.write_text("".join(json.dumps(r) + "\n" for r in records))
    pages = tmp_path / "results"
    pages.mkdir()
    (pages / "table.md").write_text(
        "head\n<!-- results:comparison-fmnist -->\nold\n<!-- /results:comparison-fmnist -->\ntail\n"
    )
    (pages / "targets.md").write_text("<!-- results:targets-23 -->\n<!-- /results:targets-23 -->\n")
    comparison_tables.write(results, tmp_path / "none.json", tmp_path / "none.json", pages)
    text = (pages / "table.md").read_text()
    assert "old" not in text and text.startswith("head\n") and text.endswith("tail\n")
    assert "| frequentist twin | 2 |" in text and "| Bayesian head (fc*), rho scale 3 | 2 |" in text
    assert "not measured" in text  # no costs file: the cost column says so
    assert (
        "| plain loop, default (Bayesian head (fc*), rho scale 3)"
        in (pages / "targets.md").read_text()
    )
    assert (pages / comparison_tables.ALL_COLUMNS_PAGE).is_file()


@pytest.mark.filterwarnings("ignore:the fitted temperature")
def test_the_targets_take_a_methods_pooled_records_when_it_has_them(
    tmp_path: Path, tiny_data: None
) -> None:
    records = [comparison.run_job(job(m)) for m in ("twin", "bayes-head-rho3")]
    assert records[1]["temperature"]["form"] == "pooled"
    assert records[1]["temperature_per_sample"]["form"] == "per-sample"
    per_sample = tmp_path / "r.jsonl"
    per_sample.write_text("".join(json.dumps(r) + "\n" for r in records))
    pooled = tmp_path / "pooled.jsonl"
    pooled.write_text(json.dumps(records[1]) + "\n" + json.dumps(records[0]) + "\n")
    page = tmp_path / "comparison.md"
    page.write_text(
        "<!-- results:comparison-pooled-fmnist -->\n<!-- /results:comparison-pooled-fmnist -->\n"
        "<!-- results:targets-23 -->\n<!-- /results:targets-23 -->\n"
    )
    none = tmp_path / "none.json"
    comparison_tables.write(per_sample, none, none, tmp_path, pooled)
    text = page.read_text()
    assert "valid NLL per-sample / pooled T" in text
    assert "| plain loop, default (Bayesian head (fc*), rho scale 3), pooled T |" in text
    assert "rank-1" not in text  # measured in neither file: no row


def test_the_cost_of_a_method_is_its_networks_step_ratio_times_its_members() -> None:
    owners = method_costs.distinct_networks()
    assert owners["deep-ensemble-5"] == "twin"  # an ensemble of twins trains the twin's network
    assert owners["bayes-ensemble-4-rho1"] != owners["bayes-all-rho3"]  # rho scales differ
    assert all(owner in comparison.METHODS for owner in owners.values())


def test_the_results_pages_tables_are_the_ones_generated_from_the_records(tmp_path: Path) -> None:
    pages = ROOT / "docs" / "results"
    shutil.copytree(pages, tmp_path / "results")
    comparison_tables.main(["--pages", str(tmp_path / "results")])
    for page in sorted(pages.glob("*.md")):
        assert (tmp_path / "results" / page.name).read_text() == page.read_text(), page.name


@pytest.mark.filterwarnings("ignore:the fitted temperature")
def test_the_sample_sweep_calibrates_and_scores_at_each_s(tiny_data: None) -> None:
    swept = comparison.Job(**{**job("members-4-bbb-rho1").__dict__, "sample_sweep": (1, 3)})
    record = comparison.run_job(swept)
    assert set(record["by_samples"]) == {"1", "3"}
    for count, found in record["by_samples"].items():
        assert found["calibrated"]["samples"] == 4 * int(count)  # S of each of 4 members
        assert found["temperature"]["temperature"] > 0


def test_split_batch_gives_each_example_to_one_member_and_only_it():
    import bayescnn

    torch.manual_seed(0)
    model = bayescnn.models.create("lenet", num_classes=10, in_channels=1, members=4)
    bayescnn.set_posterior_mean(model, True)  # deterministic: the two forwards compare
    inputs, labels = torch.randn(10, 1, 32, 32), torch.arange(10)
    logits, kept = comparison.split_batch(model, inputs, labels)
    every_member = model(inputs)  # (K, B, C)
    assert logits.shape == (1, 8, 10) and kept.tolist() == list(range(8))  # 10 cut to 2 x 4
    for example in range(8):
        torch.testing.assert_close(logits[0, example], every_member[example % 4, example])


def test_a_split_batch_method_trains_its_members_through_the_plain_step():
    import bayescnn

    method = comparison.METHODS["members-4-bbb-split-rho1"]
    torch.manual_seed(0)
    model = bayescnn.models.create("lenet", num_classes=10, in_channels=1, **method.create)
    optimizer = torch.optim.Adam(model.parameters(), 1e-3)
    before = [p.detach().clone() for p in model.parameters()]
    comparison.plain_step(model, optimizer, method, torch.randn(8, 1, 32, 32), torch.arange(8), 100)
    assert all(not torch.equal(b, p) for b, p in zip(before, model.parameters(), strict=True))
