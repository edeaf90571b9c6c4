"""``benchmarks/partial_step.py``: every partly Bayesian variant is timed against the twin."""

from benchmarks import partial_step


def test_the_partial_step_benchmark_times_every_variant_against_the_twin() -> None:
    ratios = partial_step.main(["--rounds", "1"])
    assert set(ratios) == set(partial_step.VARIANTS)
    assert ratios["frequentist twin"] == 1.0 and all(r > 0 for r in ratios.values())
