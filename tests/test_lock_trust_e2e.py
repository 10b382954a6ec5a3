"""The lock is untrusted: it picks files, but not where credentials go nor which file wins.

Real Bazel 4.2.3 on locks made by real `uv lock` against local indexes on loopback
(edited at test time where a test plays the attacker), plus the bzlmod glue in the
Starlark harness:

- credentials go only over https (or http to loopback), only to the hosts of the lock's
  registries and to hosts the user lists; the netrc `default` entry only on opt-in;
- two artifacts whose file names map to one repository name get one repository each;
- path artifacts are hash-checked and must stay inside the lock's repository unless the
  user allows a directory; an entry with both url and path is refused;
- both front doors give uv_artifact the same arguments.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support.bazel import BazelWorkspace
from tests.support.index_fixtures import AUTH_PASSWORD, AUTH_USERNAME, LockProject
from tests.support.pkgbuild import build_wheel
from tests.support.pyindex import PackageIndex
from tests.support.starlark_env import FakeModule, StarlarkEnv, StarlarkFail, Struct

REPO_ROOT = Path(__file__).resolve().parents[1]

PLATFORMS_BUILD = """\
package(default_visibility = ["//visibility:public"])

[platform(
    name = "linux_" + cpu,
    constraint_values = ["@platforms//os:linux", "@platforms//cpu:" + cpu],
) for cpu in ["x86_64", "aarch64"]]
"""


def _workspace(base: Path, bazel_caches, lock_text: str, uv_lock_args: str = "") -> BazelWorkspace:
    ws = BazelWorkspace(base / "ws", base / "output_base", bazel_caches)
    ws.write("uv.lock", lock_text)
    ws.write("platforms/BUILD.bazel", PLATFORMS_BUILD)
    _declare_hub(ws, uv_lock_args)
    return ws


def _declare_hub(ws: BazelWorkspace, uv_lock_args: str) -> None:
    """(Re)writes the WORKSPACE's uv_lock call; the preamble stays."""
    text = (ws.root / "WORKSPACE").read_text().split("# --- hub ---")[0]
    (ws.root / "WORKSPACE").write_text(
        text
        + "# --- hub ---\n"
        + 'load("@rules_pyuv//uv:repositories.bzl", "uv_lock")\n\n'
        + 'uv_lock(name = "pypi", lockfile = "//:uv.lock", python_version = "3.11"'
        + uv_lock_args
        + ")\n\n"
        + 'load("@pypi//:repositories.bzl", "install_deps")\n\n'
        + "install_deps()\n"
    )


def _wheel_files(ws: BazelWorkspace, label: str, platform: str, *flags: str) -> list[Path]:
    """Builds label for platform; returns its files' paths (they live in external/)."""
    args = [label, f"--platforms=//platforms:{platform}", *flags]
    ws.run("build", *args)
    proc = ws.run(
        "cquery",
        *args,
        "--output=starlark",
        "--starlark:expr=' '.join([f.path for f in target.files.to_list()])",
    )
    return [ws.output_base / p for p in proc.stdout.split()]


# ------------------------------------------------------------------ credentials


class _RecordingServer:
    """An HTTP server on a loopback address that logs each request's Authorization header.

    It answers 401 (as a host fishing for credentials would), or redirects every request
    to ``redirect_to`` when given.
    """

    def __init__(self, host: str, redirect_to: str | None = None) -> None:
        self.seen: list[tuple[str, str | None]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                server.seen.append((self.path, self.headers.get("Authorization")))
                if redirect_to:
                    self.send_response(302)
                    self.send_header("Location", redirect_to + self.path)
                else:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="files"')
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer((host, 0), Handler)
        self.url = f"http://{host}:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=10)


def test_password_never_reaches_a_host_the_lock_points_at(
    tmp_path_factory, bazel_caches, auth_package_index, uv_cache_dir
):
    base = tmp_path_factory.mktemp("creds")
    lock = LockProject(
        base_dir=base / "projects", index=auth_package_index, cache_dir=uv_cache_dir
    )(["purepkg>=1.0"], index_url=auth_package_index.url_with_credentials())
    text = lock.read_text()
    assert f'source = {{ registry = "{auth_package_index.url}" }}' in text
    wheel_url = auth_package_index.file_url("purepkg-1.0.0-py3-none-any.whl")
    assert wheel_url in text

    # 127.0.0.2 is loopback too, but another host than the registry's 127.0.0.1.
    elsewhere = _RecordingServer("127.0.0.2")
    # Same host as the registry (so it gets the password), redirecting to elsewhere.
    bouncer = _RecordingServer("127.0.0.1", redirect_to=elsewhere.url)

    def moved(server):
        return wheel_url.replace(auth_package_index.base_url, server.url)

    netrc = base / "netrc"
    netrc.write_text(
        "".join(
            f"{entry} login {AUTH_USERNAME} password {AUTH_PASSWORD}\n"
            for entry in ("machine 127.0.0.1", "machine 127.0.0.2", "default")
        )
    )
    ws = _workspace(base, bazel_caches, text.replace(wheel_url, moved(elsewhere)))
    try:
        # A fresh repository cache each time, so every fetch reaches a server.
        def fetch(n: int):
            return ws.run(
                "build",
                "@pypi//purepkg:whl",
                f"--repository_cache={base / f'repo-cache-{n}'}",
                f"--repo_env=NETRC={netrc}",
                "--repo_env=HOME=" + str(base),
                check=False,
            )

        denied = fetch(1)
        assert denied.returncode != 0
        assert "could not fetch purepkg-1.0.0-py3-none-any.whl (purepkg 1.0.0" in denied.stderr, (
            denied.stderr
        )
        assert moved(elsewhere) in denied.stderr
        assert "credential_hosts" in denied.stderr
        assert elsewhere.seen, "the download never reached the other host"
        assert all(auth is None for _, auth in elsewhere.seen), elsewhere.seen

        # The netrc `default` entry on opt-in still only serves hosts the user lists.
        _declare_hub(ws, ", netrc_default = True")
        assert fetch(2).returncode != 0
        assert all(auth is None for _, auth in elsewhere.seen), elsewhere.seen

        # A redirect from the registry's host does not carry the password along.
        ws.write("uv.lock", text.replace(wheel_url, moved(bouncer)))
        _declare_hub(ws, "")
        assert fetch(3).returncode != 0
        assert bouncer.seen and all(auth for _, auth in bouncer.seen), bouncer.seen
        assert len(elsewhere.seen) > 2
        assert all(auth is None for _, auth in elsewhere.seen), elsewhere.seen

        # Control: a host the user lists does get the credentials, so the checks above
        # could have failed.
        ws.write("uv.lock", text.replace(wheel_url, moved(elsewhere)))
        _declare_hub(ws, ', credential_hosts = ["127.0.0.2"]')
        count = len(elsewhere.seen)
        assert fetch(4).returncode != 0
        assert elsewhere.seen[count:] and all(auth for _, auth in elsewhere.seen[count:])

        # And the unedited lock still fetches from the private index with the password.
        ws.write("uv.lock", text)
        _declare_hub(ws, "")
        assert fetch(5).returncode == 0
    finally:
        ws.close()
        bouncer.stop()
        elsewhere.stop()


def _artifact_rule_run(env, url, netrc, **attrs):
    """Runs uv_artifact in the harness and returns the auth its download carried."""
    rule = env.load("//uv/private:artifact.bzl").uv_artifact
    values = {
        "filename": "x-1.0-py3-none-any.whl",
        "urls": [url],
        "sha256": "a" * 64,
        "package": "x",
        "version": "1.0",
        "netrc": "/harness/netrc",
    }
    values.update(attrs)
    result = env.run_repository_rule(
        rule,
        name="pypi__x",
        attrs=values,
        files={"/harness/netrc": netrc},
        downloads={url: "wheel bytes"},
    )
    (download,) = result.ctx.downloads
    return download.get("auth", {})


NETRC = """\
machine idx.example.org login u password machine-pw
machine other.example.org login u password other-pw
default login u password default-pw
"""


@pytest.mark.parametrize(
    ("url", "attrs", "password"),
    [
        (
            "https://idx.example.org/f/x.whl",
            {"credential_hosts": ["idx.example.org"]},
            "machine-pw",
        ),
        (
            "https://IDX.example.org:8443/x.whl",
            {"credential_hosts": ["idx.example.org"]},
            "machine-pw",
        ),
        # Plain http only to loopback.
        ("http://idx.example.org/f/x.whl", {"credential_hosts": ["idx.example.org"]}, None),
        (
            "http://127.0.0.1.example.org/x.whl",
            {"credential_hosts": ["127.0.0.1.example.org"]},
            None,
        ),
        # A host with a netrc entry that is neither a registry's nor listed.
        ("https://other.example.org/x.whl", {"credential_hosts": ["idx.example.org"]}, None),
        # User information in the URL: never add credentials to it.
        ("https://a@idx.example.org/x.whl", {"credential_hosts": ["idx.example.org"]}, None),
        # The default entry: only for listed hosts, only on opt-in.
        ("https://new.example.org/x.whl", {"credential_hosts": ["new.example.org"]}, None),
        (
            "https://new.example.org/x.whl",
            {"credential_hosts": ["new.example.org"], "netrc_default_hosts": ["new.example.org"]},
            "default-pw",
        ),
        ("https://new.example.org/x.whl", {"netrc_default_hosts": ["idx.example.org"]}, None),
    ],
)
def test_credentials_policy(url, attrs, password):
    env = StarlarkEnv(REPO_ROOT)
    netrc = NETRC.replace("machine idx", "machine 127.0.0.1 login u password loop-pw\nmachine idx")
    auth = _artifact_rule_run(env, url, netrc, **attrs)
    if password is None:
        assert auth == {}
    else:
        assert auth == {url: {"type": "basic", "login": "u", "password": password}}


def test_loopback_http_gets_credentials_for_tests():
    env = StarlarkEnv(REPO_ROOT)
    url = "http://127.0.0.1:9/f/x.whl"
    auth = _artifact_rule_run(
        env, url, "machine 127.0.0.1 login u password loop-pw\n", credential_hosts=["127.0.0.1"]
    )
    assert auth == {url: {"type": "basic", "login": "u", "password": "loop-pw"}}


def test_registry_host_and_listed_hosts_make_the_scope():
    env = StarlarkEnv(REPO_ROOT)
    kwargs_of = env.load("//uv/private:artifact.bzl").uv_artifact_kwargs
    artifact = {
        "repo": "pypi__x",
        "filename": "x-1.0-py3-none-any.whl",
        "url": "https://files.example.org/x.whl",
        "path": "",
        "sha256": "a" * 64,
        "package": "x",
        "version": "1.0",
        "registry": "https://Idx.Example.org:8443/simple",
        "lockfile": "//:uv.lock",
    }
    attrs = Struct(
        netrc="", auth_patterns={}, credential_hosts=["Files.example.org"], netrc_default=False
    )
    kwargs = kwargs_of(artifact, attrs)
    assert kwargs["credential_hosts"] == ["files.example.org", "idx.example.org"]
    assert kwargs["netrc_default_hosts"] == []
    attrs = Struct(
        netrc="", auth_patterns={}, credential_hosts=["files.example.org"], netrc_default=True
    )
    assert kwargs_of(artifact, attrs)["netrc_default_hosts"] == ["files.example.org"]


# ------------------------------------------------------------------ aliasing


def test_files_with_one_repository_name_get_a_repository_each(
    tmp_path_factory, bazel_caches, uv_cache_dir
):
    """`c 1.0+1` and `c 1.0.1` both map to repository `pypi__c_1_0_1_py3_none_any_whl`."""
    base = tmp_path_factory.mktemp("alias")
    wheels = [build_wheel(base / "dist", "c", v) for v in ("1.0+1", "1.0.1")]
    with PackageIndex(wheels) as index:
        lock = LockProject(base_dir=base / "projects", index=index, cache_dir=uv_cache_dir)(
            [
                "c==1.0+1; platform_machine == 'x86_64'",
                "c==1.0.1; platform_machine == 'aarch64'",
            ]
        )
        # uv percent-encodes the "+"; the literal form is the same URL to the server and
        # gives the file name the lock means.
        text = lock.read_text().replace("c-1.0%2B1-", "c-1.0+1-")
        assert "c-1.0+1-py3-none-any.whl" in text and "c-1.0.1-py3-none-any.whl" in text
        ws = _workspace(base, bazel_caches, text)
        try:
            got = {
                cpu: _wheel_files(ws, "@pypi//c:whl", "linux_" + cpu)
                for cpu in ("x86_64", "aarch64")
            }
        finally:
            ws.close()
    assert [p.name for p in got["x86_64"]] == ["c-1.0+1-py3-none-any.whl"]
    assert [p.name for p in got["aarch64"]] == ["c-1.0.1-py3-none-any.whl"]
    assert got["x86_64"][0].parent != got["aarch64"][0].parent
    for (path,), wheel in zip((got["x86_64"], got["aarch64"]), wheels, strict=True):
        assert path.read_bytes() == wheel.read_bytes()


def test_repository_names_are_disambiguated_by_hash():
    env = StarlarkEnv(REPO_ROOT)
    names_of = env.load("//uv/private:planner.bzl").harness_private__artifact_repo_names

    def artifact(filename, url, sha256):
        return {"filename": filename, "url": url, "path": "", "sha256": sha256}

    one, two = "1" * 64, "2" * 64
    plus = artifact("c-1.0+1-py3-none-any.whl", "https://h.example.org/c-1.0+1.whl", one)
    dot = artifact("c-1.0.1-py3-none-any.whl", "https://h.example.org/c-1.0.1.whl", two)
    # The same bytes at another URL are still another entry: a counter tells them apart.
    mirror = artifact("c-1.0.1-py3-none-any.whl", "https://m.example.org/c-1.0.1.whl", two)
    alone = artifact("d-1.0-py3-none-any.whl", "https://h.example.org/d.whl", one)
    packages = [
        {"wheels": [plus], "sdist": None},
        {"wheels": [dot, mirror], "sdist": None},
        {"wheels": [alone], "sdist": None},
    ]
    names = names_of("pypi", "//:uv.lock", packages)
    base = "pypi__c_1_0_1_py3_none_any_whl"
    assert sorted(names.values()) == sorted(
        [
            f"{base}_{one[:12]}",
            f"{base}_{two[:12]}",
            f"{base}_{two[:12]}_1",
            "pypi__d_1_0_py3_none_any_whl",
        ]
    )
    assert names_of("pypi", "//:uv.lock", packages) == names


# ------------------------------------------------------------------ path artifacts


def test_path_artifacts_are_hash_checked_and_confined(
    tmp_path_factory, bazel_caches, package_index, uv_cache_dir
):
    base = tmp_path_factory.mktemp("paths")
    wheel = build_wheel(base / "dist", "localpkg", "1.0.0")
    other = build_wheel(base / "other", "localpkg", "1.0.0", files={"localpkg/x.py": "X = 1\n"})
    locker = LockProject(base_dir=base / "projects", index=package_index, cache_dir=uv_cache_dir)
    # uv needs the wheel where the source points before it locks.
    project = base / "projects" / "project1"
    (project / "wheels").mkdir(parents=True)
    shutil.copy(wheel, project / "wheels")
    lock = locker(
        ["localpkg"], extra_uv_config={"sources": {"localpkg": {"path": f"wheels/{wheel.name}"}}}
    )
    assert lock.parent == project
    text = lock.read_text()
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    assert f'source = {{ path = "wheels/{wheel.name}" }}' in text
    assert f"sha256:{digest}" in text

    ws = _workspace(base, bazel_caches, text)
    (ws.root / "wheels").mkdir()
    # Another file where the lock's path points: the lock's hash must catch it. (A fresh
    # repository cache, or Bazel would serve the right bytes from it by their sha256.)
    shutil.copy(other, ws.root / "wheels" / wheel.name)
    fresh = f"--repository_cache={base / 'repo-cache'}"
    try:
        proc = ws.run("build", "@pypi//localpkg:whl", fresh, check=False)
        assert proc.returncode != 0
        assert f"could not copy {wheel.name} (localpkg 1.0.0, from //:uv.lock)" in proc.stderr
        assert digest in proc.stderr

        shutil.copy(wheel, ws.root / "wheels" / wheel.name)
        (path,) = _wheel_files(ws, "@pypi//localpkg:whl", "linux_x86_64", fresh)
        assert path.read_bytes() == wheel.read_bytes()
        assert not path.is_symlink()

        # Outside the lock's repository: refused, unless the user allows the directory.
        outside = base / "outside"
        outside.mkdir()
        shutil.copy(wheel, outside)
        escaped = text.replace(f'path = "wheels/{wheel.name}"', f'path = "../outside/{wheel.name}"')
        assert escaped != text
        ws.write("uv.lock", escaped)
        proc = ws.run("build", "@pypi//localpkg:whl", fresh, check=False)
        assert proc.returncode != 0
        assert f'the path artifact "../outside/{wheel.name}" is outside' in proc.stderr
        assert "allowed_path_roots" in proc.stderr
        _declare_hub(ws, f", allowed_path_roots = [{json.dumps(str(outside))}]")
        (path,) = _wheel_files(ws, "@pypi//localpkg:whl", "linux_x86_64", fresh)
        assert path.read_bytes() == wheel.read_bytes()
    finally:
        ws.close()


def _run_uv(env, text, **tag):
    modules = [
        FakeModule(
            "app",
            is_root=True,
            tags={"lock": [{"name": "pypi", "lockfile": "//:uv.lock", **tag}]},
        )
    ]
    uv = env.load("@rules_pyuv//uv:extensions.bzl").uv
    return env.run_module_extension(uv, modules, files={"//:uv.lock": text})


def test_an_entry_with_url_and_path_is_refused(lock_project):
    env = StarlarkEnv(REPO_ROOT)
    text = lock_project(["purepkg>=1.0"]).read_text()
    edited = re.sub(
        r'(\{ url = "[^"]*purepkg-1.0.0-py3-none-any.whl")',
        r'\1, path = "purepkg-1.0.0-py3-none-any.whl"',
        text,
    )
    assert edited != text
    with pytest.raises(StarlarkFail, match=r"purepkg 1.0.0: .* names both a url .* and a path"):
        _run_uv(env, edited)


def test_absolute_path_outside_the_repository_is_refused_in_bzlmod(lock_project):
    env = StarlarkEnv(REPO_ROOT)
    text = lock_project(["purepkg>=1.0"]).read_text()
    edited = re.sub(
        r'\{ url = "[^"]*(purepkg-1.0.0-py3-none-any.whl)"',
        r'{ path = "/etc/\1"',
        text,
    )
    assert edited != text
    with pytest.raises(StarlarkFail, match=r'"/etc/purepkg-1.0.0-py3-none-any.whl" is outside'):
        _run_uv(env, edited)
    result = _run_uv(env, edited, allowed_path_roots=["/etc"])
    (repo,) = [r for r in result.repos if r.attrs.get("path")]
    assert repo.attrs["path"] == "/etc/purepkg-1.0.0-py3-none-any.whl"
    assert repo.attrs["urls"] == []


# ------------------------------------------------------------------ front doors


def test_both_front_doors_declare_the_same_artifact_repositories(lock_project):
    env = StarlarkEnv(REPO_ROOT)
    text = lock_project(["purepkg>=1.0", "platpkg==1.0.0"]).read_text()
    tag = {
        "python_version": "3.11",
        "netrc": "/home/u/netrc",
        "credential_hosts": ["files.example.org"],
        "netrc_default": True,
        "auth_patterns": {"files.example.org": "Bearer <password>"},
    }
    bzlmod = [
        (r.name, r.attrs) for r in _run_uv(env, text, **tag).repos if r.rule_name == "uv_artifact"
    ]
    uv_lock = env.load("@rules_pyuv//uv:repositories.bzl").uv_lock
    files = env.run_repository_rule(
        uv_lock, name="pypi", attrs={"lockfile": "//:uv.lock", **tag}, files={"//:uv.lock": text}
    )
    env.add_stub("@pypi//:repositories.bzl", files["repositories.bzl"])
    driver = env.load_source(
        "@harness_test//:ext.bzl",
        'load("@pypi//:repositories.bzl", "install_deps")\n'
        "def _impl(ctx):\n"
        "    install_deps()\n"
        "ext = module_extension(implementation = _impl)\n",
    )
    workspace = [
        (r.name, r.attrs)
        for r in env.run_module_extension(driver.ext, [FakeModule("app", is_root=True)]).repos
        if r.rule_name == "uv_artifact"
    ]
    assert bzlmod and sorted(bzlmod) == sorted(workspace)
    for _, attrs in bzlmod:
        assert attrs["credential_hosts"] == ["127.0.0.1", "files.example.org"]
        assert attrs["netrc_default_hosts"] == ["files.example.org"]
        assert attrs["netrc"] == "/home/u/netrc"
    # install_deps() overrides are limited to the credential settings.
    assert "install_deps() takes only" in files["repositories.bzl"]
