"""pytest fixtures for tests that run real Bazel on generated workspaces."""

from __future__ import annotations

import shutil

import pytest

from tests.support.bazel import BAZEL, REPO_ROOT, BazelCaches, BazelWorkspace


@pytest.fixture(scope="session")
def bazel_caches(tmp_path_factory) -> BazelCaches:
    """Caches shared by every Bazel workspace of the session.

    They live in the checkout's .cache so that repeated local runs stay warm; CI starts
    from a clean checkout and so from empty caches.
    """
    if not shutil.which("/usr/bin/bazel"):
        pytest.fail("Bazel is not installed: run tools/setup")
    if not (REPO_ROOT / ".cache" / "bazel4" / "bazelrc").exists():
        pytest.fail(f"{BAZEL} is not set up: run tools/setup")
    return BazelCaches.under(REPO_ROOT / ".cache" / "bazel-test")


@pytest.fixture
def bazel_workspace(tmp_path, bazel_caches):
    """A fresh workspace using this checkout of rules_pyuv; its server is stopped after."""
    ws = BazelWorkspace(tmp_path / "ws", tmp_path / "output_base", bazel_caches)
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def starlark_bazel(request, tmp_path_factory, bazel_caches):
    """The answers of real Bazel to every Starlark call the differential tests declare.

    One generated workspace and one build for the whole session
    (tests/support/starlark_bazel.py); its server is stopped after.
    """
    import time

    from tests.support.starlark_bazel import Answers, record_all, run_calls

    recorder = record_all(request)
    base = tmp_path_factory.mktemp("starlark-bazel")
    ws = BazelWorkspace(base / "ws", base / "output_base", bazel_caches)
    try:
        start = time.monotonic()
        answers = run_calls(ws, recorder)
        yield Answers(answers, recorder.sources, time.monotonic() - start)
    finally:
        ws.close()
