"""uv as a Bazel tool, end to end with real Bazel 4.2.3 (WORKSPACE front door).

The real uv wheel for this host (tools/seed-wheels.txt, or pip's download of it) is served
by a local index on 127.0.0.1 next to two small packages, over https (Bazel fetches the
unhashed simple page only over https) with a throwaway CA that Bazel's JVM and uv trust.
The workspace declares `uv_tool(index_url = ...)` with rules_pyuv's default pins, so the
test also proves that the committed sha256 for this host is the real wheel's. Then:

- `bazel run @rules_pyuv//uv:uv -- --version` prints the pinned version;
- `bazel run @rules_pyuv//uv:uv -- lock --directory app` writes app/uv.lock (real uv
  lock against the index) and, after pyproject.toml changes, updates it;
- `uv_lock_test` passes on a fresh lock with the index stopped (offline), and fails after
  an edit of pyproject.toml, naming the lock and the command that fixes it;
- `uv_tool(lockfile = ...)` finds the index in the lock's registry;
- a wrong pinned sha256 fails the fetch, naming the host, the hash and the fix.
"""

from __future__ import annotations

import os
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.bazel import HOST_TOOLCHAIN_TAIL, REPO_ROOT
from tests.support.index_fixtures import seed_wheels_dir
from tests.support.pkgbuild import build_wheel
from tests.support.pyindex import PackageIndex

pytestmark = pytest.mark.bazel

UV_VERSION = "0.13.8"  # DEFAULT_UV_VERSION in uv/private/uv_tool_versions.bzl
MACHINE = os.uname().machine
CPU = {"x86_64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}[MACHINE]
MUSL = Path(f"/lib/ld-musl-{CPU}.so.1").exists()
HOST_KEY = f"linux_{CPU}_{'musl' if MUSL else 'gnu'}"


def _fits_host(name: str) -> bool:
    platforms = name[: -len(".whl")].split("-")[-1].split(".")
    prefix = "musllinux_" if MUSL else "manylinux"
    return any(p.startswith(prefix) and p.endswith("_" + CPU) for p in platforms)


@pytest.fixture(scope="module")
def uv_wheel(tmp_path_factory) -> Path:
    """The real uv wheel of the default version for this host."""
    for wheel in sorted(seed_wheels_dir().glob(f"uv-{UV_VERSION}-*.whl")):
        if _fits_host(wheel.name):
            return wheel
    # Not downloaded by tools/setup yet: fetch it the same way (pip, pinned version).
    out = tmp_path_factory.mktemp("uv-wheel")
    subprocess.run(
        [
            str(REPO_ROOT / ".venv" / "bin" / "python"),
            "-m",
            "pip",
            "download",
            "-q",
            "--disable-pip-version-check",
            "--no-deps",
            "--only-binary=:all:",
            "-d",
            str(out),
            f"uv=={UV_VERSION}",
        ],
        check=True,
    )
    wheels = [w for w in out.glob("*.whl") if _fits_host(w.name)]
    assert len(wheels) == 1, wheels
    return wheels[0]


@dataclass(frozen=True)
class Tls:
    ca: Path  # PEM, for uv (SSL_CERT_FILE)
    truststore: Path  # JKS holding the CA, for Bazel's JVM
    cert: Path
    key: Path


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def tls(tmp_path_factory) -> Tls:
    """A CA and a certificate for 127.0.0.1 signed by it (a leaf, not the CA: uv's TLS
    refuses a CA certificate as the server's)."""
    d = tmp_path_factory.mktemp("tls")
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-keyout", str(d / "ca.key"), "-out", str(d / "ca.pem"), "-subj", "/CN=rules_pyuv test CA",
    )  # fmt: skip
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(d / "leaf.key"),
        "-out", str(d / "leaf.csr"), "-subj", "/CN=127.0.0.1",
    )  # fmt: skip
    (d / "ext.cnf").write_text(
        "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\n"
        "extendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n"
    )
    _openssl(
        "x509", "-req", "-in", str(d / "leaf.csr"), "-CA", str(d / "ca.pem"),
        "-CAkey", str(d / "ca.key"), "-CAcreateserial", "-days", "2",
        "-extfile", str(d / "ext.cnf"), "-out", str(d / "leaf.pem"),
    )  # fmt: skip
    subprocess.run(
        [
            "keytool", "-importcert", "-noprompt", "-alias", "testca", "-file", str(d / "ca.pem"),
            "-keystore", str(d / "truststore.jks"), "-storepass", "changeit",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return Tls(d / "ca.pem", d / "truststore.jks", d / "leaf.pem", d / "leaf.key")


def _serve_https(files: list[Path], tls: Tls) -> tuple[PackageIndex, str]:
    """The fixture index with TLS on its listening socket; returns it and its https URL."""
    index = PackageIndex(files).start()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls.cert, tls.key)
    server = index._server
    server.socket = context.wrap_socket(server.socket, server_side=True)
    return index, index.url.replace("http://", "https://", 1)


PYPROJECT = """\
[project]
name = "app"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = [{deps}]

[[tool.uv.index]]
name = "local"
url = "{index}"
default = true
"""

APP_BUILD = """\
load("@rules_pyuv//uv:defs.bzl", "uv_lock_test")

exports_files(["uv.lock"])

uv_lock_test(
    name = "lock_test",
    lockfile = "uv.lock",
    srcs = ["pyproject.toml"],
)
"""

WORKSPACE_TAIL = (
    """
load("@rules_pyuv//uv:repositories.bzl", "uv_tool")

# rules_pyuv's default version and pins; only the index is the test's.
uv_tool(index_url = "{index}")

uv_tool(
    name = "uv_from_lock",
    lockfile = "//app:uv.lock",
)

uv_tool(
    name = "uv_bad_hash",
    index_url = "{index}",
    sha256s = {{"{key}": "{bad}"}},
)
"""
    + HOST_TOOLCHAIN_TAIL
)


def _write_pyproject(ws, url: str, deps: list[str]) -> None:
    ws.write(
        "app/pyproject.toml", PYPROJECT.format(deps=", ".join(f'"{d}"' for d in deps), index=url)
    )


def _lock_names(lock: Path) -> list[str]:
    return [
        line.split('"')[1] for line in lock.read_text().splitlines() if line.startswith("name = ")
    ]


def test_uv_tool_runs_locks_and_checks(bazel_workspace, uv_wheel, tls, tmp_path, monkeypatch):
    ws = bazel_workspace
    packages = tmp_path / "packages"
    files = [
        build_wheel(packages, "purepkg", "1.0.0"),
        build_wheel(packages, "otherpkg", "1.0.0"),
        uv_wheel,
    ]
    # uv as `bazel run` starts it sees the client's environment: keep its cache and
    # configuration inside the test, and let it reach the loopback index directly.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca))
    # Bazel's downloader trusts the test CA (this workspace's own server only).
    ws.write(
        ".bazelrc",
        f"startup --host_jvm_args=-Djavax.net.ssl.trustStore={tls.truststore}\n"
        "startup --host_jvm_args=-Djavax.net.ssl.trustStorePassword=changeit\n",
    )

    index, url = _serve_https(files, tls)
    try:
        ws.append("WORKSPACE", WORKSPACE_TAIL.format(index=url, key=HOST_KEY, bad="0" * 64))
        ws.write("app/BUILD.bazel", APP_BUILD)
        _write_pyproject(ws, url, ["purepkg"])

        # The pinned uv, chosen for this host from the index's simple page.
        version = ws.run("run", "@rules_pyuv//uv:uv", "--", "--version")
        assert version.stdout.strip().startswith(f"uv {UV_VERSION}"), version.stdout
        build_file = (ws.output_base / "external" / "rules_pyuv_uv" / "BUILD.bazel").read_text()
        assert uv_wheel.name in build_file and HOST_KEY in build_file

        # `-- lock` runs in the workspace root; --directory points uv at the project.
        ws.run("run", "@rules_pyuv//uv:uv", "--", "lock", "--directory", "app")
        lock = ws.root / "app" / "uv.lock"
        assert _lock_names(lock) == ["app", "purepkg"]
        assert url in lock.read_text()

        # The index found through the lock's registry.
        from_lock = ws.run("run", "@uv_from_lock//:uv", "--", "--version")
        assert from_lock.stdout.strip().startswith(f"uv {UV_VERSION}")

        # A hash that is not the wheel's: refused before anything is extracted.
        bad = ws.run("build", "@uv_bad_hash//:uv_bin", check=False)
        assert bad.returncode != 0
        assert f"no wheel on {url}/uv/ fits this host ({HOST_KEY})" in bad.stderr
        assert "0" * 64 in bad.stderr
        assert uv_wheel.name in bad.stderr  # what the index does offer for this host
        assert f'sha256s["{HOST_KEY}"]' in bad.stderr

        # A stale lock: the dependency list grew; `bazel run ... -- lock` brings it up to date.
        _write_pyproject(ws, url, ["purepkg", "otherpkg"])
        ws.run("run", "@rules_pyuv//uv:uv", "--", "lock", "--directory", "app")
        assert _lock_names(lock) == ["app", "otherpkg", "purepkg"]
    finally:
        index.stop()

    # Offline from here on: the fresh lock checks without the index.
    ws.run("test", "//app:lock_test", "--test_output=errors")

    _write_pyproject(ws, url, ["purepkg"])
    stale = ws.run("test", "//app:lock_test", "--test_output=all", check=False)
    assert stale.returncode != 0
    out = stale.stdout + stale.stderr
    assert "rules_pyuv: app/uv.lock is stale: it does not match app/pyproject.toml" in out
    assert "bazel run @rules_pyuv//uv:uv -- lock --directory app" in out
    # The lock itself was only read: the test works on a copy.
    assert _lock_names(lock) == ["app", "otherpkg", "purepkg"]
