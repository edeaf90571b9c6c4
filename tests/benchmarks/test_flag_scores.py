"""benchmarks.flag_scores: the table of each score's true-positive rate at a fixed FPR."""

from benchmarks.flag_scores import OOD_SETS, table

from bayescnn.uncertainty import list_ood_scores


def result(dataset, tpr, fpr=0.05):
    """One run's result in which every score flags a ``tpr`` fraction of every OOD set."""
    scores = {
        score: {"threshold": 0.0, "test_fpr": fpr, "tpr": dict.fromkeys(OOD_SETS[dataset], tpr)}
        for score in list_ood_scores()
    }
    return {"dataset": dataset, "seed": 0, "scores": scores}


def test_the_table_gives_each_scores_mean_and_spread_over_a_datasets_runs():
    results = {
        "settings": {"rate": 0.05},
        "runs": {"mn-s0": result("mnist", 0.2), "mn-s1": result("mnist", 0.4)},
    }
    lines = table(results).splitlines()
    assert lines[0].startswith("| score | mnist → fashion-mnist |")
    assert "fashion-mnist → mnist" not in lines[0], "no column without runs"
    energy = next(line for line in lines if line.startswith("| `energy`"))
    assert energy.count("0.3000 ± 0.1414") == len(OOD_SETS["mnist"])
    assert "mnist: 2 run(s)" in lines[-1]
