"""Package patches end to end, with real Bazel 4.2.3 on a lock made by real `uv lock`.

- `patches`: a post-install patch of purepkg's installed tree changes what the app
  imports, and the install manifest and the .dist-info RECORD describe the patched file;
- `sdist_patches`: a pre-build patch of platpkg's unpacked sdist changes the wheel built
  from it;
- a hunk that does not apply fails the install (or the build) naming the package, the
  patch, the file and the hunk; a changed patch re-runs only that package's action;
- front-door mistakes (an unknown package, a relative label) fail naming the fix.

Patches are made at test time with difflib from the artifacts the local index serves.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import json
import tarfile
import zipfile

import pytest

from tests.support.bazel import HOST_PYTHON, BazelWorkspace, hub_workspace, read_execution_log
from tests.support.index_fixtures import BUILD_GROUP, LockProject

pytestmark = pytest.mark.bazel

PY = HOST_PYTHON

WORKSPACE_TAIL = hub_workspace(
    """

uv_lock(
    name = "pypi",
    lockfile = "//:uv.lock",
    no_binary_packages = ["platpkg"],
    patches = {PATCHES},
    python_version = "{py}",
    sdist_patches = {SDIST_PATCHES},
)

"""
)

APP_BUILD = """\
load("@rules_pyuv//py:defs.bzl", "py_binary")

py_binary(
    name = "main",
    srcs = ["main.py"],
    deps = ["@pypi//platpkg", "@pypi//purepkg"],
)
"""

APP_MAIN = """\
import platpkg
import purepkg

print(purepkg.hello())
print(platpkg.hello())
"""

POST = '{"purepkg": ["//patches:purepkg.patch"]}'
PRE = '{"PlatPkg": ["//patches:platpkg-src.patch"]}'


def _diff(path: str, old: str, new: str) -> str:
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile="a/" + path,
            tofile="b/" + path,
        )
    )


def _wheel_text(standard_packages, project, member) -> str:
    (wheel,) = [p for p in standard_packages.files(project) if p.name.endswith("none-any.whl")]
    with zipfile.ZipFile(wheel) as zf:
        return zf.read(member).decode()


def _sdist_text(standard_packages, project, member) -> str:
    (sdist,) = [p for p in standard_packages.files(project) if p.name.endswith(".tar.gz")]
    with tarfile.open(sdist) as tf:
        (info,) = [m for m in tf.getmembers() if m.name.split("/", 1)[-1] == member]
        return tf.extractfile(info).read().decode()


def _workspace(base, bazel_caches, lock_text, patches=POST, sdist_patches=PRE):
    ws = BazelWorkspace(base / "ws", base / "output_base", bazel_caches)
    ws.write("uv.lock", lock_text)
    tail = WORKSPACE_TAIL.replace("{py}", PY).replace("{PATCHES}", patches)
    ws.append("WORKSPACE", tail.replace("{SDIST_PATCHES}", sdist_patches))
    ws.write("app/BUILD.bazel", APP_BUILD)
    ws.write("app/main.py", APP_MAIN)
    ws.write("patches/BUILD.bazel", 'exports_files(glob(["*.patch"]))\n')
    return ws


@pytest.fixture(scope="module")
def sources(standard_packages):
    init = _wheel_text(standard_packages, "purepkg", "purepkg/__init__.py")
    src = _sdist_text(standard_packages, "platpkg", "platpkg/__init__.py")
    assert "purepkg 1.0.0" in init and "platpkg 1.0.0 sdist" in src
    return init, src


@pytest.fixture(scope="module")
def ws(tmp_path_factory, bazel_caches, package_index, uv_cache_dir, sources):
    base = tmp_path_factory.mktemp("patches")
    lock = LockProject(base_dir=base, index=package_index, cache_dir=uv_cache_dir)(
        ["purepkg>=1.0", "platpkg==1.0.0"], groups=BUILD_GROUP
    )
    workspace = _workspace(base, bazel_caches, lock.read_text())
    init, src = sources
    workspace.write(
        "patches/purepkg.patch",
        _diff(
            "site-packages/purepkg/__init__.py",
            init,
            init.replace(
                "def hello():", "def hello():\n    return 'purepkg patched after install'"
            ),
        ),
    )
    workspace.write(
        "patches/platpkg-src.patch",
        _diff(
            "platpkg/__init__.py",
            src,
            src.replace("'platpkg 1.0.0 sdist'", "'platpkg patched before the build'"),
        ),
    )
    yield workspace
    workspace.close()


def _digest(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def test_post_install_and_pre_build_patches_change_what_runs(ws):
    out = ws.run("run", "//app:main").stdout.splitlines()
    assert out == ["purepkg patched after install", "platpkg patched before the build"]

    # The manifest and RECORD describe the patched file, not the wheel's.
    site = ws.bin_path("external/pypi/purepkg/purepkg_site")
    patched = (site / "site-packages/purepkg/__init__.py").read_bytes()
    assert b"purepkg patched after install" in patched
    manifest = json.loads(ws.bin_path("external/pypi/purepkg/purepkg_site.json").read_text())
    assert manifest["files"]["site-packages/purepkg/__init__.py"] == _digest(patched)
    (record,) = site.glob("site-packages/purepkg-*.dist-info/RECORD")
    rows = {r.split(",")[0]: r for r in record.read_text().splitlines()}
    assert rows["purepkg/__init__.py"] == f"purepkg/__init__.py,{_digest(patched)},{len(patched)}"
    rel = record.relative_to(site).as_posix()
    assert manifest["files"][rel] == _digest(record.read_bytes())

    # The built wheel itself carries the pre-build patch.
    (wheel,) = ws.bin_path("external/pypi/platpkg").glob("_build_*/*.whl")
    with zipfile.ZipFile(wheel) as zf:
        assert b"platpkg patched before the build" in zf.read("platpkg/__init__.py")


def test_a_failing_hunk_names_package_patch_file_and_hunk(ws, sources, tmp_path):
    init, src = sources
    good = (ws.root / "patches/purepkg.patch").read_text()
    try:
        # A context line that is not in the installed file.
        ws.write("patches/purepkg.patch", good.replace("def hello():", "def hullo():", 1))
        log = tmp_path / "exec.json"
        proc = ws.run("build", "//app:main", f"--execution_log_json_file={log}", check=False)
        assert proc.returncode != 0
        err = proc.stderr
        assert "patching package purepkg failed: hunk #1" in err, err
        assert "patches/purepkg.patch does not apply to site-packages/purepkg/__init__.py" in err
        # Only purepkg's install ran again: the patch is an input of that action alone.
        installs = [s for s in read_execution_log(log) if s.get("mnemonic") == "PyWheelInstall"]
        outputs = [o for s in installs for o in s.get("listedOutputs", [])]
        assert outputs and all("/pypi/purepkg/" in o for o in outputs), outputs
    finally:
        ws.write("patches/purepkg.patch", good)

    bad_src = _diff("platpkg/__init__.py", src.replace("ORIGIN", "ORIGINAL"), src)
    good_src = (ws.root / "patches/platpkg-src.patch").read_text()
    try:
        ws.write("patches/platpkg-src.patch", bad_src)
        proc = ws.run("build", "@pypi//platpkg:whl", check=False)
        assert proc.returncode != 0
        err = proc.stderr
        assert "building platpkg 1.0.0" in err, err
        assert "pre-build patches do not apply: patching package platpkg failed: hunk #1" in err
        assert "does not apply to platpkg/__init__.py" in err
    finally:
        ws.write("patches/platpkg-src.patch", good_src)


@pytest.mark.parametrize(
    ("patches", "expected"),
    [
        (
            '{"nosuchpkg": ["//patches:purepkg.patch"]}',
            'patches names package "nosuchpkg", which the lock does not hold',
        ),
        (
            '{"purepkg": [":purepkg.patch"]}',
            '":purepkg.patch" is not an absolute label; write it as "//<package>:<file>"',
        ),
    ],
)
def test_front_door_mistakes_name_the_fix(tmp_path_factory, bazel_caches, ws, patches, expected):
    other = _workspace(
        tmp_path_factory.mktemp("patches-bad"),
        bazel_caches,
        (ws.root / "uv.lock").read_text(),
        patches=patches,
    )
    try:
        proc = other.run("build", "//app:main", check=False)
        assert proc.returncode != 0
        assert expected in proc.stderr, proc.stderr
        assert 'hub "pypi"' in proc.stderr
    finally:
        other.close()
