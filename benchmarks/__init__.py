"""Benchmarks of bayescnn: every number is a ratio of variants timed in the same run.

Run ``python -m benchmarks.run`` (see ``benchmarks/README.md``).
"""
