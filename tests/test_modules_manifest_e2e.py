"""py_modules_manifest end to end: a real lock, real Bazel 4.2.3, the YAML Gazelle reads.

Wheels shaped like real ones (PyYAML's `yaml` and private `_yaml`, `six.py`, a PEP 420
namespace package, a pkg_resources namespace, per-architecture extension modules, a stub
distribution) plus the standard test packages are served on 127.0.0.1, locked by real
`uv lock`, and the manifest is built for two target platforms. Its `.update` and `.test`
companions are run as a user would.
"""

from __future__ import annotations

import pytest

from tests.support.bazel import BazelWorkspace
from tests.support.index_fixtures import LockProject
from tests.support.pkgbuild import build_wheel
from tests.support.pyindex import PackageIndex
from tests.test_hub_e2e import PLATFORMS_BUILD
from tests.test_modules_manifest import read_manifest

pytestmark = pytest.mark.bazel

SO = b"\x7fELF (not loaded by this test)"


def _wheels(out):
    return [
        build_wheel(out, "PyYAML", "6.0", files={"yaml/__init__.py": "", "_yaml/__init__.py": ""}),
        build_wheel(out, "six", "1.16.0", files={"six.py": ""}),
        build_wheel(out, "types-six", "1.16.0", files={"six-stubs/__init__.pyi": ""}),
        build_wheel(
            out,
            "google-cloud-storage",
            "2.0.0",
            files={"google/cloud/storage/__init__.py": "", "google/cloud/storage/blob.py": ""},
        ),
        build_wheel(
            out,
            "zope.interface",
            "6.0",
            files={
                "zope/__init__.py": "__import__('pkg_resources').declare_namespace(__name__)\n",
                "zope/interface/__init__.py": "",
            },
        ),
        build_wheel(
            out,
            "fastext",
            "1.0",
            tag="cp311-cp311-manylinux_2_17_x86_64",
            files={"fastext.cpython-311-x86_64-linux-gnu.so": SO, "tests/test_fastext.py": ""},
        ),
        build_wheel(
            out,
            "fastext",
            "1.0",
            tag="cp311-cp311-manylinux_2_17_aarch64",
            files={"fastext.cpython-311-aarch64-linux-gnu.so": SO, "fastext_neon.py": ""},
        ),
        build_wheel(
            out,
            "armdeps",
            "1.0",
            files={"armdeps.py": ""},
            requires_dist=["armhelper>=1.0; platform_machine == 'aarch64'"],
        ),
        build_wheel(out, "armhelper", "1.0", files={"armhelper/__init__.py": ""}),
    ]


DEPS = [
    "PyYAML==6.0",
    "six==1.16.0",
    "types-six==1.16.0",
    "google-cloud-storage==2.0.0",
    "zope.interface==6.0",
    "fastext==1.0",
    "armdeps==1.0",
    "markerpkg[cli]==1.0.0",
    "clasha==1.0.0",
    "clashb==1.0.0",
]

BUILD = """\
load("@rules_pyuv//py:gazelle.bzl", "py_modules_manifest")

py_modules_manifest(
    name = "gazelle_python_manifest",
    deps = [
        "@pypi//pyyaml",
        "@pypi//six",
        "@pypi//types_six",
        "@pypi//google_cloud_storage",
        "@pypi//zope_interface",
        "@pypi//fastext",
        "@pypi//armdeps",
        "@pypi//markerpkg:extra_cli",
    ],
    hub = "pypi",
)

py_modules_manifest(
    name = "clash",
    deps = ["@pypi//clasha", "@pypi//clashb"],
    hub = "pypi",
    manifest = "clash.yaml",
    tags = ["manual"],
)

py_modules_manifest(
    name = "clash_resolved",
    deps = ["@pypi//clasha", "@pypi//clashb"],
    hub = "pypi",
    manifest = "clash_resolved.yaml",
    modules_override = {"clash": "clashb"},
    tags = ["manual"],
)
"""

COMMON = {
    "google.cloud.storage": "google-cloud-storage",
    "markerpkg": "markerpkg",
    "mixed_case_pkg": "Mixed.Case_Pkg",
    "purepkg": "purepkg",  # markerpkg needs it on Linux
    "six": "six",
    "types_six": "types-six",
    "yaml": "PyYAML",
    "zope.interface": "zope.interface",
    "armdeps": "armdeps",
    "fastext": "fastext",
}


@pytest.fixture(scope="module")
def ws(tmp_path_factory, bazel_caches, standard_packages):
    base = tmp_path_factory.mktemp("gazelle")
    # Bazel fetches the wheels from the index too, so it serves until the module ends.
    index = PackageIndex([*standard_packages.all_files(), *_wheels(base / "wheels")]).start()
    ws = None
    try:
        lock = LockProject(base_dir=base / "projects", index=index, cache_dir=base / "uv-cache")(
            DEPS
        )
        ws = BazelWorkspace(base / "ws", base / "output_base", bazel_caches)
        yield _workspace(ws, lock.read_text())
    finally:
        if ws is not None:
            ws.close()
        index.stop()


def _workspace(ws: BazelWorkspace, lock_text: str) -> BazelWorkspace:
    ws.write("uv.lock", lock_text)
    ws.write("platforms/BUILD.bazel", PLATFORMS_BUILD)
    ws.write("BUILD.bazel", BUILD)
    ws.append(
        "WORKSPACE",
        """
        load("@rules_pyuv//uv:repositories.bzl", "uv_lock")

        uv_lock(name = "pypi", lockfile = "//:uv.lock", python_version = "3.11")

        load("@pypi//:repositories.bzl", "install_deps")

        install_deps()

        register_toolchains("//platforms:all")
        """,
    )
    return ws


def _build(ws: BazelWorkspace, target: str, platform: str) -> dict:
    ws.run("build", f"//:{target}", f"--platforms=//platforms:{platform}")
    return read_manifest(ws.bin_path(f"{target}.yaml").read_text())


def test_mapping_for_each_target_platform(ws):
    x86 = _build(ws, "gazelle_python_manifest", "linux_x86_64")
    assert x86["modules_mapping"] == COMMON
    assert x86["pip_repository"] == {"name": "pypi"}
    # The aarch64 wheel of fastext ships another module, and armdeps needs armhelper there.
    arm = _build(ws, "gazelle_python_manifest", "linux_aarch64")
    assert arm["modules_mapping"] == {
        **COMMON,
        "armhelper": "armhelper",
        "fastext_neon": "fastext",
    }


def test_names_several_packages_provide_fail_clearly_unless_overridden(ws):
    proc = ws.run("build", "//:clash", "--platforms=//platforms:linux_x86_64", check=False)
    assert proc.returncode != 0
    assert "//:clash: the import name 'clash' is provided by several packages" in proc.stderr
    assert 'modules_override = {"clash": "clasha"}' in proc.stderr
    resolved = _build(ws, "clash_resolved", "linux_x86_64")
    assert resolved["modules_mapping"] == {"clash": "clashb"}


def test_update_and_test_companions(ws):
    manifest = ws.root / "gazelle_python.yaml"
    manifest.unlink(missing_ok=True)
    test = "//:gazelle_python_manifest.test"
    proc = ws.run("test", test, "--test_output=errors", check=False)
    assert proc.returncode != 0
    assert "gazelle_python.yaml does not exist; create it with: bazel run " in proc.stdout + (
        proc.stderr
    )

    ws.run("run", "//:gazelle_python_manifest.update")
    text = manifest.read_text()
    assert "#   bazel run //:gazelle_python_manifest.update\n" in text
    assert read_manifest(text)["modules_mapping"] == COMMON
    ws.run("test", test)

    manifest.write_text(text.replace("yaml: PyYAML", "yaml: pyyaml"))
    proc = ws.run("test", test, "--test_output=errors", check=False)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "gazelle_python.yaml is out of date; update it with: bazel run" in out
    assert "-    yaml: pyyaml" in out
    ws.run("run", "//:gazelle_python_manifest.update")
    ws.run("test", test)
