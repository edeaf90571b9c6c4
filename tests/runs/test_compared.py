"""Models compared side by side: a run, or several runs averaged as an ensemble."""

from bayescnn.runs.compared import split_run_groups


def test_each_compare_value_is_one_model_its_runs_split_at_commas():
    assert split_run_groups(["a", "b,c", "d,,"]) == [["a"], ["b", "c"], ["d"]]


def test_no_compare_values_is_no_models():
    assert split_run_groups(None) == []
