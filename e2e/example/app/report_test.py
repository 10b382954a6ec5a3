"""Tests of the example, run by pytest from the lock."""

import platform

from app import report


def test_every_dependency_reports():
    lines = report.lines()
    assert len(lines) == 7
    assert lines[0] == f"machine: {platform.machine()}"


def test_compiled_extension_matches_this_machine():
    import nativepkg

    assert nativepkg.add(40, 2) == 42
    assert nativepkg.machine() == platform.machine()
