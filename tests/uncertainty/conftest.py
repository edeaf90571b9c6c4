"""Shared fixtures for the bayescnn.uncertainty tests."""

from collections.abc import Iterator

import pytest

from bayescnn.uncertainty import OOD_SCORES


@pytest.fixture
def restore_ood_scores() -> Iterator[None]:
    """Registrations made by the test are undone: the registry is process-wide.

    Uses the registry's mapping interface only: names the test added are deleted, and
    entries it replaced are put back (in place, so the registration order is kept).
    """
    saved = {name: OOD_SCORES[name] for name in OOD_SCORES}
    yield
    for name in [name for name in OOD_SCORES if name not in saved]:
        del OOD_SCORES[name]
    for name, entry in saved.items():
        OOD_SCORES[name] = entry
