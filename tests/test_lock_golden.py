"""Golden snapshots of what rules_pyuv writes for the example lock, and its analysis
under the config_setting visibility flags Bazel is flipping.

The example (e2e/example) is locked at test time against the local index and fetched
by real Bazel 4.2.3; the hub's files (every BUILD file and packages.bzl) and one artifact
repository's BUILD file are compared with tests/testdata/golden/example/. The index
port and machine paths are normalised, so the snapshots hold neither.

A rendering change shows up as a diff here. To accept it, run

    UPDATE_GOLDENS=1 .venv/bin/python -m pytest tests/test_lock_golden.py

and review `git diff tests/testdata/golden`.
"""

from __future__ import annotations

import os
import re
import shutil

import pytest

from tests.support.bazel import REPO_ROOT, BazelWorkspace
from tests.support.uvlock import uv_lock

pytestmark = pytest.mark.bazel

EXAMPLE = REPO_ROOT / "e2e" / "example"
GOLDEN = REPO_ROOT / "tests" / "testdata" / "golden" / "example"
UPDATE = os.environ.get("UPDATE_GOLDENS") == "1"

# Both on: config_settings follow package visibility and are private by default.
CONFIG_SETTING_FLAGS = (
    "--incompatible_enforce_config_setting_visibility",
    "--incompatible_config_setting_private_default_visibility",
)


@pytest.fixture(scope="module")
def example(tmp_path_factory, bazel_caches, package_index, uv_cache_dir):
    base = tmp_path_factory.mktemp("golden")
    ws = BazelWorkspace(base / "ws", base / "output_base", bazel_caches, name="example")
    shutil.copytree(
        EXAMPLE, ws.root, ignore=shutil.ignore_patterns("bazel-*", "uv.lock"), dirs_exist_ok=True
    )
    workspace = (ws.root / "WORKSPACE").read_text()
    (ws.root / "WORKSPACE").write_text(workspace.replace('path = "../.."', f'path = "{REPO_ROOT}"'))
    uv_lock(ws.root, package_index.url, cache_dir=uv_cache_dir)
    ws.index_url = package_index.url
    yield ws
    ws.close()


def _normalise(text: str, ws: BazelWorkspace) -> str:
    text = text.replace(str(ws.output_base), "<output_base>")
    text = text.replace(str(ws.root), "<workspace>")
    text = text.replace(str(REPO_ROOT), "<rules_pyuv>")
    return re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:<port>", text)


def _snapshot(ws: BazelWorkspace) -> dict[str, str]:
    """The generated files, by golden path."""
    external = ws.output_base / "external"
    hub = external / "pypi"
    files = {}
    for path in sorted(hub.rglob("*")):
        rel = path.relative_to(hub).as_posix()
        if path.name in ("BUILD.bazel", "packages.bzl"):
            files[f"hub/{rel}"] = path.read_text()
    # The pure package's wheel repository: the one artifact every platform shares.
    whl = files["hub/purepkg/BUILD.bazel"]
    repo = re.search(r'"@(pypi__[a-z0-9_]+)//:file"', whl).group(1)
    files["artifact/BUILD.bazel"] = (external / repo / "BUILD.bazel").read_text()
    return {path: _normalise(text, ws) for path, text in files.items()}


def test_generated_files_match_the_goldens(example):
    example.run("build", "@pypi//purepkg:whl", "@pypi//platpkg:whl")
    snapshot = _snapshot(example)
    for path, text in snapshot.items():
        # Nothing of the registry, the machine or the loopback port.
        assert not re.search(r"https?://(?!127\.0\.0\.1:<port>)", text), (path, text)
        assert "/tmp/" not in text and "/root/" not in text, (path, text)
    if UPDATE:
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for path, text in snapshot.items():
            target = GOLDEN / (path + ".golden")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
    expected = {
        p.relative_to(GOLDEN).as_posix()[: -len(".golden")]: p.read_text()
        for p in GOLDEN.rglob("*.golden")
    }
    assert sorted(snapshot) == sorted(expected), (
        "files added or removed; UPDATE_GOLDENS=1 to accept"
    )
    for path in sorted(snapshot):
        assert snapshot[path] == expected[path], (
            f"{path} differs from tests/testdata/golden/example/{path}.golden; "
            "UPDATE_GOLDENS=1 to accept"
        )


def test_the_app_analyses_with_private_config_settings(example):
    # The hub's packages select on @pypi//_envs and @pypi//_markers config_settings.
    for platform in ("linux_amd64",):
        proc = example.run(
            "build",
            "--nobuild",
            "//app:app",
            f"--platforms=//platforms:{platform}",
            *CONFIG_SETTING_FLAGS,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr[-4000:]


def test_goldens_exist():
    # Guards against an empty golden directory making the comparison vacuous.
    assert (GOLDEN / "hub" / "BUILD.bazel.golden").is_file() or UPDATE
    assert len(list(GOLDEN.rglob("*.golden"))) >= 6 or UPDATE
