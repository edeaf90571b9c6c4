"""Evaluation under dataset shift: image corruptions computed on the fly at five severities
(:mod:`bayescnn.shift.corruptions`), and a model's accuracy, calibration, uncertainty and
selective prediction under them (:func:`evaluate_shift`), after Ovadia et al. (2019)."""

from bayescnn.shift.corruptions import (
    CORRUPTIONS,
    SEVERITIES,
    Corruption,
    check_severity,
    corrupt,
    list_corruptions,
    register_corruption,
)
from bayescnn.shift.evaluate import (
    AUROC_SCORES,
    CLEAN,
    COVERAGE_GRID,
    COVERAGES,
    SELECTIVE_SCORES,
    ShiftRecord,
    evaluate_shift,
)
from bayescnn.shift.parsing import parse_corruptions, parse_severities
from bayescnn.shift.records import write_shift_records

__all__ = [
    "AUROC_SCORES",
    "CLEAN",
    "CORRUPTIONS",
    "COVERAGES",
    "COVERAGE_GRID",
    "SELECTIVE_SCORES",
    "SEVERITIES",
    "Corruption",
    "ShiftRecord",
    "check_severity",
    "corrupt",
    "evaluate_shift",
    "list_corruptions",
    "parse_corruptions",
    "parse_severities",
    "register_corruption",
    "write_shift_records",
]
