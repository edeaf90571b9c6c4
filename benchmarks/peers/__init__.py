"""bayescnn against its peer libraries (issue #22): ``python -m benchmarks.peers``.

:mod:`~benchmarks.peers.libraries` builds the same LeNet-5 with each library's own layers,
:mod:`~benchmarks.peers.speed` times training steps and predictions interleaved,
:mod:`~benchmarks.peers.quality` trains and evaluates them all with one evaluation, and
:mod:`~benchmarks.peers.tables` writes the results page's tables from the JSON.
"""
