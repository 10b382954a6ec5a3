"""A path sdist inside the workspace, end to end with real Bazel 4.2.3 on a real uv lock.

`[tool.uv.sources] localsdist = { path = "third_party/sdists/localsdist-1.0.0.tar.gz" }`
makes uv lock the file by a path relative to the lock, with its sha256. The hub builds
it with the same pinned PySdistBuild action as an index sdist, and a file whose content
no longer matches the lock fails naming the file instead of building something else.
"""

from __future__ import annotations

import shutil
import tomllib

import pytest

from tests.support.bazel import HOST_PYTHON, BazelWorkspace, hub_workspace, read_execution_log
from tests.support.index_fixtures import BUILD_GROUP
from tests.support.pkgbuild import build_sdist
from tests.support.uvlock import uv_lock

pytestmark = pytest.mark.bazel

PY = HOST_PYTHON

SDIST = "third_party/sdists/localsdist-1.0.0.tar.gz"

PYPROJECT = f"""\
[project]
name = "app"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["localsdist==1.0.0", "purepkg>=1.0"]

[dependency-groups]
build = {list(BUILD_GROUP["build"])!r}

[tool.uv]
package = false

[tool.uv.sources]
localsdist = {{ path = "{SDIST}" }}
"""

WORKSPACE_TAIL = hub_workspace(
    f"""

uv_lock(name = "pypi", lockfile = "//:uv.lock", python_version = "{PY}")

"""
)

APP_BUILD = """\
load("@rules_pyuv//py:defs.bzl", "py_binary")

py_binary(
    name = "main",
    srcs = ["main.py"],
    deps = ["@pypi//localsdist", "@pypi//purepkg"],
)
"""

APP_MAIN = """\
import localsdist
import purepkg

print(localsdist.hello())
print(purepkg.hello())
"""


@pytest.fixture(scope="module")
def ws(tmp_path_factory, bazel_caches, package_index, uv_cache_dir):
    base = tmp_path_factory.mktemp("path-sdist")
    ws = BazelWorkspace(base / "ws", base / "output_base", bazel_caches)
    sdist = build_sdist(ws.root / "third_party" / "sdists", "localsdist", "1.0.0")
    assert sdist == ws.root / SDIST
    ws.write("pyproject.toml", PYPROJECT)
    uv_lock(ws.root, package_index.url, cache_dir=uv_cache_dir)
    ws.append("WORKSPACE", WORKSPACE_TAIL)
    ws.write("app/BUILD.bazel", APP_BUILD)
    ws.write("app/main.py", APP_MAIN)
    yield ws
    ws.close()


def test_uv_locks_the_sdist_by_a_relative_path_with_its_hash(ws):
    packages = {p["name"]: p for p in tomllib.loads((ws.root / "uv.lock").read_text())["package"]}
    entry = packages["localsdist"]
    assert entry["source"] == {"path": SDIST}
    assert entry["sdist"]["hash"].startswith("sha256:")
    assert "wheels" not in entry


def test_the_path_sdist_is_built_by_the_pinned_action_and_imports(ws, tmp_path):
    log = tmp_path / "exec.json"
    out = ws.run("run", "//app:main", f"--execution_log_json_file={log}").stdout.splitlines()
    assert out[0] == "localsdist 1.0.0 sdist"
    assert out[1].startswith("purepkg 1.0.0")
    builds = [s for s in read_execution_log(log) if s.get("mnemonic") == "PySdistBuild"]
    assert len(builds) == 1, builds
    assert any("localsdist" in arg for arg in builds[0]["commandArgs"]), builds[0]["commandArgs"]


def test_a_path_sdist_that_no_longer_matches_the_lock_fails_naming_it(ws, tmp_path):
    # Another sdist of the same name and version sits where the lock points: the
    # path artifact is hash-checked, so it must not be built in place of the locked one.
    original = ws.root / SDIST
    kept = tmp_path / "kept.tar.gz"
    shutil.copy(original, kept)
    try:
        build_sdist(original.parent, "localsdist", "1.0.0", summary="a different file")
        ws.run("clean", "--expunge")
        proc = ws.run(
            "build",
            "//app:main",
            "--repository_cache=",
            check=False,
        )
        assert proc.returncode != 0
        assert "localsdist-1.0.0.tar.gz" in proc.stderr, proc.stderr
        assert "sha256" in proc.stderr.lower() or "checksum" in proc.stderr.lower(), proc.stderr
    finally:
        shutil.copy(kept, original)
