"""The translation catalogs are complete and compiled: checks/catalogs.py."""

from __future__ import annotations

from checks.catalogs import problems


def test_the_catalogs_are_complete_and_compiled() -> None:
    found = problems()
    assert not found, "\n".join(found)
