"""Tests never touch the reader's stores: a module-scoped fixture, which
runs before any function-scoped one, already sees the test session's NNBOOK_CACHE."""

from __future__ import annotations

import pytest

from nnbook.engine import settings


@pytest.fixture(scope="module")
def seen_by_a_module_fixture():
    # what tests/unit/test_autoencoders.py's module-scoped `trained` fixture plans and stores into
    return settings.run_store_root(), settings.plan_store_root()


def test_a_module_fixture_already_uses_the_sessions_store(seen_by_a_module_fixture,
                                                         tmp_path_factory):
    base = tmp_path_factory.getbasetemp()
    runs, plans = seen_by_a_module_fixture
    assert base in runs.parents and base in plans.parents
