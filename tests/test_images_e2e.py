"""Container images of the example app (py_image_layer, py_oci_index), end to end.

A copy of e2e/example is locked against the local index and gets image targets
(tests/testdata/images/BUILD.images); real Bazel 4.2.3 builds them. Base images are OCI
layouts made by tools/images/base-layout from cached Debian roots: amd64 from
tools/images/setup, arm64 from tools/rbe/setup.

- The layers: deterministic (sorted, 0:0, time 0, fixed modes) and split so that editing
  app code rebuilds and changes only the app layer.
- The amd64 image (built locally): skopeo reads it, umoci unpacks it, and its
  entrypoint, run in a chroot of the unpacked root as the image config says, prints the
  app's lines; a clean rebuild without caches gives the same index digest.
- The multi-arch index (linux_amd64 + linux_arm64 in one `bazel build`): needs the local
  remote-execution cluster (tools/rbe), because the example's C-extension sdist must be
  compiled on an arm64 machine. skopeo shows both platforms; the arm64 image runs under
  qemu-user (binfmt) in a chroot and reports aarch64 from Python and from the compiled
  extension; a clean rebuild gives the same digest.
- A multi-platform base: each platform's image gets that platform's base, and both run
  (arm64 under qemu-user).
- Bad bases (wrong architecture, no Python) fail the build with a clear message.

Needs root (chroot, umoci), skopeo, umoci, zstd and tools/images/setup; the arm64 parts
also what tools/rbe/setup provides. Skipped without them, failed in CI (CI=true).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.support.bazel import REPO_ROOT, BazelWorkspace, read_execution_log, spawn_properties
from tests.support.prerequisites import require
from tests.support.uvlock import uv_lock
from tests.test_example_e2e import expected_lines
from tools import rbe_example

TESTDATA = Path(__file__).parent / "testdata" / "images"
EXAMPLE = REPO_ROOT / "e2e" / "example"
AMD64_ROOTFS = REPO_ROOT / ".cache" / "images" / "amd64-rootfs.tar.zst"
ARM64_ROOTFS = rbe_example.tools_dir() / "arm64-rootfs.tar.zst"
RBE = REPO_ROOT / "tools" / "rbe"
# This module's own cluster, apart from one you or tests/test_rbe.py may run.
RBE_RUN = REPO_ROOT / ".cache" / "rbe" / "images-run"
REF_NAME = "org.opencontainers.image.ref.name"

# What the example app prints in each image (the machine names are Linux's for amd64 and
# arm64).
EXPECTED_AMD64 = expected_lines("x86_64")
EXPECTED_ARM64 = expected_lines("aarch64")


def _unavailable() -> str | None:
    if os.geteuid() != 0:
        return "needs root (chroot into unpacked images; umoci unpack)"
    for tool in ("skopeo", "umoci", "zstd", "chroot"):
        if not shutil.which(tool):
            return f"{tool} is not installed; run tools/images/setup"
    if not AMD64_ROOTFS.exists():
        return f"{AMD64_ROOTFS.relative_to(REPO_ROOT)} is missing; run tools/images/setup"
    return None


def _rbe_unavailable() -> str | None:
    reason = rbe_example.unavailable()
    if reason is None and not ARM64_ROOTFS.exists():
        reason = f"{ARM64_ROOTFS} is missing; run tools/rbe/setup"
    return reason


pytestmark = [pytest.mark.bazel, pytest.mark.images]


@pytest.fixture(scope="module", autouse=True)
def _prerequisites():
    """Skipped without root, the image tools and tools/images/setup; failed in CI."""
    require(_unavailable())


# -- helpers -----------------------------------------------------------------------------


def run(*argv: str, timeout: float = 600, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        list(argv),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        **kwargs,
    )
    assert proc.returncode == 0, (
        f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    )
    return proc


def base_layout(arch: str, out: Path) -> Path:
    run(str(REPO_ROOT / "tools" / "images" / "base-layout"), arch, str(out))
    return out


def mounts_below(path: Path) -> list[str]:
    real = os.path.realpath(path)
    with open("/proc/self/mounts") as f:
        points = [line.split()[1] for line in f]
    return sorted((p for p in points if p == real or p.startswith(real + "/")), reverse=True)


def remove_tree(path: Path) -> None:
    """Deletes an unpacked image, never while anything is mounted below it."""
    if not path.exists():
        return
    leftover = mounts_below(path)
    assert not leftover, f"refusing to delete {path}: still mounted: {leftover}"
    subprocess.run(["rm", "-rf", "--one-file-system", "--", str(path)], check=True)


@contextlib.contextmanager
def proc_mounted(rootfs: Path):
    """/proc mounted in an unpacked root for as long as the block runs; always unmounted."""
    target = rootfs / "proc"
    target.mkdir(exist_ok=True)
    subprocess.run(["mount", "-t", "proc", "proc", str(target)], check=True)
    try:
        yield
    finally:
        if subprocess.run(["umount", str(target)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(target)], check=False)


def unpack(layout: Path, ref: str, dest: Path, arch: str | None = None) -> Path:
    """umoci unpacks one image of a layout into a bundle; with `arch`, skopeo first copies
    that platform's image out of the multi-platform index (umoci cannot choose)."""
    if arch:
        single = dest.parent / f"{dest.name}-layout"
        run(
            "skopeo",
            f"--override-arch={arch}",
            "--override-os=linux",
            "copy",
            f"oci:{layout}:{ref}",
            f"oci:{single}:{ref}",
        )
        layout = single
    run("umoci", "unpack", "--image", f"{layout}:{ref}", str(dest))
    return dest


def run_entrypoint(bundle: Path) -> subprocess.CompletedProcess:
    """Runs the image's process (Entrypoint + Cmd, Env, WorkingDir, as umoci wrote them into
    the bundle's config.json) in a chroot of the unpacked root."""
    process = json.loads((bundle / "config.json").read_text())["process"]
    rootfs = bundle / "rootfs"
    with proc_mounted(rootfs):
        return run(
            "/usr/bin/env",
            "-i",
            *process["env"],
            "/usr/sbin/chroot",
            str(rootfs),
            "/bin/sh",
            "-c",
            'cd "$1" && shift && exec "$@"',
            "sh",
            process.get("cwd") or "/",
            *process["args"],
            timeout=300,
        )


def index_of(layout: Path, ref: str = "") -> dict:
    """The image index that index.json names (as skopeo inspect --raw shows it)."""
    raw = run("skopeo", "inspect", "--raw", f"oci:{layout}{ref and ':' + ref}").stdout
    return json.loads(raw)


def digest_of(ws: BazelWorkspace, name: str) -> str:
    return ws.bin_path(f"app/{name}.digest").read_text().strip()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def members(layer: Path) -> list[tarfile.TarInfo]:
    with gzip.open(layer) as f, tarfile.open(fileobj=f, mode="r|") as tar:
        return list(tar)


# -- fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bases(tmp_path_factory):
    """OCI layouts of the Debian bases, and tiny ones without Python."""
    root = tmp_path_factory.mktemp("bases")
    layouts = {"amd64": base_layout("amd64", root / "amd64")}
    if ARM64_ROOTFS.exists():
        layouts["arm64"] = base_layout("arm64", root / "arm64")
    # Tiny bases without Python: a root holding one file.
    tiny = root / "tiny.tar"
    with tarfile.open(tiny, "w") as tar:
        info = tarfile.TarInfo("etc/hostname")
        data = b"tiny\n"
        info.size = len(data)
        tar.addfile(info, fileobj=io.BytesIO(data))
    for arch, variant in (("amd64", ""), ("arm64", "v8")):
        out = root / f"tiny_{arch}"
        run(
            "python3",
            str(REPO_ROOT / "tools" / "images" / "rootfs_layout.py"),
            f"--arch={arch}",
            f"--variant={variant}",
            f"--tar={tiny}",
            f"--out={out}",
        )
        layouts[f"tiny_{arch}"] = out
    # A multi-platform base (an image index): the Debian roots of both architectures
    # (the tiny arm64 one without tools/rbe/setup; the test that uses it needs the real one).
    spec = {
        "tag": "latest",
        "images": [
            {
                "platform_label": f"//bases:{arch}",
                "os": "linux",
                "architecture": arch,
                "variant": variant,
                "base": str(layouts[name]),
                "layers": [],
                "entrypoint": ["/bin/sh"],
                "workdir": "/",
                "source": "tests/test_images_e2e.py",
            }
            for arch, variant, name in (
                ("amd64", "", "amd64"),
                ("arm64", "v8", "arm64" if "arm64" in layouts else "tiny_arm64"),
            )
        ],
    }
    (root / "multi.json").write_text(json.dumps(spec))
    tool = str(REPO_ROOT / "py" / "private" / "image_tool.py")
    run("python3", tool, "index", f"--spec={root / 'multi.json'}", f"--out={root / 'multi'}")
    layouts["multi"] = root / "multi"
    return layouts


@pytest.fixture(scope="module")
def ws(tmp_path_factory, bazel_caches, package_index, uv_cache_dir, bases):
    base = tmp_path_factory.mktemp("images")
    workspace = BazelWorkspace(base / "ws", base / "output_base", bazel_caches, name="example")
    ignore = shutil.ignore_patterns("bazel-*", "uv.lock")
    shutil.copytree(EXAMPLE, workspace.root, ignore=ignore, dirs_exist_ok=True)
    text = (workspace.root / "WORKSPACE").read_text()
    text = text.replace('path = "../.."', f'path = "{REPO_ROOT}"')
    for name, layout in sorted(bases.items()):
        text += (
            "\nnew_local_repository(\n"
            f'    name = "base_{name}",\n'
            f'    build_file = "//:BUILD.base",\n'
            f'    path = "{layout}",\n'
            ")\n"
        )
    (workspace.root / "WORKSPACE").write_text(text)
    workspace.write("BUILD.base", (TESTDATA / "BUILD.base").read_text())
    workspace.append("app/BUILD.bazel", (TESTDATA / "BUILD.images").read_text())
    shutil.copy(TESTDATA / "plain.py", workspace.root / "app" / "plain.py")
    shutil.copytree(TESTDATA / "hermetic", workspace.root / "hermetic")
    uv_lock(workspace.root, package_index.url, cache_dir=uv_cache_dir)
    yield workspace
    workspace.close()


@pytest.fixture
def scratch(tmp_path):
    """A folder for unpacked images, emptied safely (unmounted first) after the test."""
    yield tmp_path
    for child in tmp_path.iterdir():
        remove_tree(child)


# -- layers ------------------------------------------------------------------------------


def test_layers_are_deterministic_and_laid_out_like_bazel_bin(ws):
    ws.run("build", "//app:app_layers")
    out = ws.bin_path("app/app_layers")
    assert sorted(p.name for p in out.glob("*.tar.gz")) == ["app.tar.gz", "packages.tar.gz"]
    for layer in ("packages", "app"):
        entries = members(out / f"{layer}.tar.gz")
        names = [m.name for m in entries]
        assert names == sorted(names), layer
        assert {(m.uid, m.gid, m.uname, m.gname, m.mtime) for m in entries} == {(0, 0, "", "", 0)}
        for m in entries:
            assert m.isdir() or m.isfile(), m.name
            assert m.mode == 0o755 if m.isdir() else m.mode in (0o644, 0o755), m.name
    app = {m.name: m for m in members(out / "app.tar.gz")}
    assert app["app/app"].mode == 0o755  # the launcher: the entrypoint
    assert app["app/app.runfiles/example/app/main.py"].mode == 0o644
    assert "app/app.runfiles/example/app/report.py" in app
    assert not [n for n in app if "site-packages" in n]
    packages = [m.name for m in members(out / "packages.tar.gz") if m.isfile()]
    assert packages and all("/site-packages/" in n for n in packages), packages
    assert any(n.endswith(".so") for n in packages)
    assert not [n for n in packages if n.startswith("app/app.runfiles/example/")]


def test_editing_app_code_changes_only_the_app_layer(ws, tmp_path):
    ws.run("build", "//app:app_layers")
    out = ws.bin_path("app/app_layers")
    before = {p.name: sha256(p) for p in out.glob("*.tar.gz")}
    report = ws.root / "app" / "report.py"
    original = report.read_text()
    log = tmp_path / "exec.json"
    try:
        report.write_text(original + "\n# edited\n")
        ws.run("build", "//app:app_layers", f"--execution_log_json_file={log}")
        after = {p.name: sha256(p) for p in out.glob("*.tar.gz")}
    finally:
        report.write_text(original)
    assert after["packages.tar.gz"] == before["packages.tar.gz"]
    assert after["app.tar.gz"] != before["app.tar.gz"]
    rebuilt = [s for s in read_execution_log(log) if s.get("mnemonic") == "PyImageLayer"]
    outputs = [o["path"] for s in rebuilt for o in s.get("actualOutputs", [])]
    assert len(rebuilt) == 1 and outputs[0].endswith("app_layers/app.tar.gz"), outputs
    # Back to the original source: the original bytes.
    ws.run("build", "//app:app_layers")
    assert {p.name: sha256(p) for p in out.glob("*.tar.gz")} == before


# -- the amd64 image ---------------------------------------------------------------------


def test_amd64_image_runs_its_entrypoint_in_a_chroot(ws, scratch):
    ws.run("build", "//app:app_amd64")
    layout = ws.bin_path("app/app_amd64")
    index_json = json.loads((layout / "index.json").read_text())
    (top,) = index_json["manifests"]
    assert top["mediaType"] == "application/vnd.oci.image.index.v1+json"
    assert top["annotations"] == {REF_NAME: "latest"}
    assert top["digest"] == digest_of(ws, "app_amd64")
    index = index_of(layout)
    assert [m["platform"] for m in index["manifests"]] == [{"architecture": "amd64", "os": "linux"}]
    config = json.loads(run("skopeo", "inspect", "--config", f"oci:{layout}:latest").stdout)
    assert config["architecture"] == "amd64" and config["os"] == "linux"
    assert config["config"]["Entrypoint"] == ["/app/app"]
    assert config["config"]["WorkingDir"] == "/app"
    assert "GREETING=from the image" in config["config"]["Env"]
    # The base's layer, then packages and app.
    assert len(config["rootfs"]["diff_ids"]) == 3
    bundle = unpack(layout, "latest", scratch / "amd64")
    proc = run_entrypoint(bundle)
    assert proc.stdout.splitlines() == EXPECTED_AMD64
    assert not mounts_below(scratch)


def test_clean_rebuild_gives_the_same_index_digest(ws, tmp_path):
    ws.run("build", "//app:app_amd64")
    first = digest_of(ws, "app_amd64")
    index_json = ws.bin_path("app/app_amd64/index.json").read_bytes()
    ws.run("clean")
    # No disk cache: every action (wheel installs, the sdist build, the layers, the
    # index) runs again.
    log = tmp_path / "exec.json"
    ws.run("build", "//app:app_amd64", "--disk_cache=", f"--execution_log_json_file={log}")
    ran = [s["mnemonic"] for s in read_execution_log(log) if not s.get("remoteCacheHit")]
    for mnemonic in ("PySdistBuild", "PyWheelInstall", "PyImageLayer", "PyOciIndex"):
        assert mnemonic in ran, ran
    assert digest_of(ws, "app_amd64") == first
    assert ws.bin_path("app/app_amd64/index.json").read_bytes() == index_json


def test_a_multi_platform_base_gives_each_platform_its_image(ws, bases, scratch):
    # The arm64 image runs under qemu-user: it needs what the arm64 worker needs.
    require(_rbe_unavailable())
    ws.run("build", "//app:app_multi_base")
    layout = ws.bin_path("app/app_multi_base")
    index = index_of(layout, "latest")
    assert [m["platform"] for m in index["manifests"]] == [
        {"architecture": "amd64", "os": "linux"},
        {"architecture": "arm64", "os": "linux", "variant": "v8"},
    ]
    for arch, machine in (("amd64", "x86_64"), ("arm64", "aarch64")):
        inspect = ["skopeo", f"--override-arch={arch}", "inspect", "--config"]
        config = json.loads(run(*inspect, f"oci:{layout}:latest").stdout)
        base = json.loads(run(*inspect, f"oci:{bases['multi']}:latest").stdout)
        own = json.loads(run(*inspect, f"oci:{bases[arch]}:latest").stdout)
        assert config["architecture"] == arch, config
        # That platform's base image out of the index: its layers, then packages and app.
        assert base["rootfs"]["diff_ids"] == own["rootfs"]["diff_ids"]
        assert (
            config["rootfs"]["diff_ids"][: len(base["rootfs"]["diff_ids"])]
            == (base["rootfs"]["diff_ids"])
        )
        bundle = unpack(layout, "latest", scratch / arch, arch=arch)
        assert run_entrypoint(bundle).stdout.splitlines() == [f"machine: {machine}"]
    assert not mounts_below(scratch)


def test_a_base_for_another_architecture_fails_the_build(ws):
    proc = ws.run("build", "//app:app_wrong_base", check=False)
    assert proc.returncode != 0
    assert (
        "the base image of platform //platforms:linux_amd64 is for linux/arm64/v8, not for "
        "linux/amd64" in proc.stderr
    ), proc.stderr


def test_a_base_without_the_interpreter_fails_the_build(ws):
    proc = ws.run("build", "//app:app_no_python", check=False)
    assert proc.returncode != 0
    assert (
        "the base image of platform //platforms:linux_amd64 has no /usr/bin/python3, the "
        "interpreter the program's launcher runs" in proc.stderr
    ), proc.stderr


def test_a_hermetic_interpreter_gets_its_own_layer(ws, scratch):
    flags = ["--extra_toolchains=//hermetic:python", "--platforms=//hermetic:linux_amd64_hermetic"]
    ws.run("build", "//hermetic:hello_layers", *flags)
    out = ws.bin_path("hermetic/hello_layers")
    assert sorted(p.name for p in out.glob("*.tar.gz")) == ["app.tar.gz", "interpreter.tar.gz"]
    interpreter = {m.name: m.mode for m in members(out / "interpreter.tar.gz") if m.isfile()}
    assert interpreter == {"app/hello.runfiles/example/hermetic/python3.sh": 0o755}
    app = [m.name for m in members(out / "app.tar.gz") if m.isfile()]
    assert "app/hello.runfiles/example/hermetic/hello.py" in app
    assert not [n for n in app if n.endswith("python3.sh")]
    # In an image: no interpreter_path to check in the base; the launcher runs the file.
    ws.run("build", "//hermetic:hello_image", "--extra_toolchains=//hermetic:python")
    bundle = unpack(ws.bin_path("hermetic/hello_image"), "latest", scratch / "hello")
    assert run_entrypoint(bundle).stdout.splitlines() == ["hello from /app/hello"]


# -- the multi-arch index ----------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster():
    """The endpoint of a local remote-execution cluster (tools/rbe) of this module's own
    (RBE_RUN_DIR), for the arm64 half; stopped after the module."""
    reason = _rbe_unavailable()
    require(
        reason
        and "the arm64 image needs the example's C extension compiled on an arm64 machine, "
        f"i.e. the local remote-execution cluster: {reason}"
    )
    env = {**os.environ, "RBE_RUN_DIR": str(RBE_RUN)}
    try:
        out = run(str(RBE / "up"), timeout=300, env=env).stdout
        yield out.strip().splitlines()[-1]
    finally:
        run(str(RBE / "down"), timeout=300, env=env)


def remote_build(ws: BazelWorkspace, endpoint: str, *args: str):
    return ws.run(
        "build",
        f"--remote_executor={endpoint}",
        "--spawn_strategy=remote",
        # Assembling the index copies the (large) base images: no use sending it away,
        # nor the result to the cluster's cache.
        "--strategy=PyOciIndex=local",
        "--noremote_upload_local_results",
        "--remote_timeout=120",
        "--disk_cache=",
        "--extra_execution_platforms=//platforms:linux_amd64,//platforms:linux_arm64",
        *args,
        timeout=1800,
    )


def test_multi_arch_index_from_one_build_runs_on_both_architectures(ws, cluster, scratch, bases):
    assert "arm64" in bases
    remote_build(ws, cluster, "//app:app_index")
    layout = ws.bin_path("app/app_index")
    index = index_of(layout, "latest")
    assert index["mediaType"] == "application/vnd.oci.image.index.v1+json"
    assert [m["platform"] for m in index["manifests"]] == [
        {"architecture": "amd64", "os": "linux"},
        {"architecture": "arm64", "os": "linux", "variant": "v8"},
    ]
    # platform_tags: index.json also names each platform's manifest.
    names = {
        m["annotations"][REF_NAME]: m["digest"]
        for m in json.loads((layout / "index.json").read_text())["manifests"]
    }
    assert names["latest-amd64"] == index["manifests"][0]["digest"]
    assert names["latest-arm64"] == index["manifests"][1]["digest"]
    for arch in ("amd64", "arm64"):
        info = json.loads(
            run("skopeo", f"--override-arch={arch}", "inspect", f"oci:{layout}:latest").stdout
        )
        assert info["Architecture"] == arch and info["Os"] == "linux"

    # arm64: umoci unpacks the manifest named latest-arm64; the root runs under qemu-user.
    arm64 = run_entrypoint(unpack(layout, "latest-arm64", scratch / "arm64"))
    assert arm64.stdout.splitlines() == EXPECTED_ARM64
    # amd64: skopeo picks it out of the index first.
    amd64 = run_entrypoint(unpack(layout, "latest", scratch / "amd64", arch="amd64"))
    assert amd64.stdout.splitlines() == EXPECTED_AMD64
    assert not mounts_below(scratch)

    # Reproducible: a clean rebuild that re-executes every action (the arm64 sdist build on
    # the arm64 worker again) gives the same index.
    first = digest_of(ws, "app_index")
    ws.run("clean")
    log = scratch / "exec.json"
    remote_build(
        ws,
        cluster,
        "//app:app_index",
        "--noremote_accept_cached",
        f"--execution_log_json_file={log}",
    )
    sdist = [
        spawn_properties(s)["Arch"]
        for s in read_execution_log(log)
        if s.get("mnemonic") == "PySdistBuild" and s.get("runner") == "remote"
    ]
    assert sorted(sdist) == ["amd64", "arm64"], sdist
    assert digest_of(ws, "app_index") == first
