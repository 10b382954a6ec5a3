"""The pinned uv's Starlark, in a real Starlark interpreter: host keys, wheel tags, the
simple page, the repository rule's choices and errors, and the bzlmod `uv.tool` glue.

The end-to-end behaviour with real Bazel is in test_uv_tool_e2e.py.
"""

from __future__ import annotations

import pytest

from tests.support.bazel import REPO_ROOT
from tests.support.index_fixtures import BUILD_GROUP
from tests.support.starlark_env import FakeModule, StarlarkEnv, StarlarkFail

V = "0.13.8"
# The file names uv 0.13.8 publishes (as listed by its simple page).
UV_FILES = [
    f"uv-{V}-py3-none-linux_armv6l.whl",
    f"uv-{V}-py3-none-macosx_10_12_x86_64.whl",
    f"uv-{V}-py3-none-macosx_11_0_arm64.whl",
    f"uv-{V}-py3-none-manylinux_2_17_aarch64.manylinux2014_aarch64.musllinux_1_1_aarch64.whl",
    f"uv-{V}-py3-none-manylinux_2_17_armv7l.manylinux2014_armv7l.whl",
    f"uv-{V}-py3-none-manylinux_2_17_i686.manylinux2014_i686.whl",
    f"uv-{V}-py3-none-manylinux_2_17_ppc64le.manylinux2014_ppc64le.whl",
    f"uv-{V}-py3-none-manylinux_2_17_s390x.manylinux2014_s390x.whl",
    f"uv-{V}-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    f"uv-{V}-py3-none-manylinux_2_28_aarch64.whl",
    f"uv-{V}-py3-none-musllinux_1_1_armv7l.whl",
    f"uv-{V}-py3-none-musllinux_1_1_i686.whl",
    f"uv-{V}-py3-none-musllinux_1_1_x86_64.whl",
    f"uv-{V}-py3-none-win32.whl",
    f"uv-{V}-py3-none-win_amd64.whl",
    f"uv-{V}-py3-none-win_arm64.whl",
    f"uv-{V}.tar.gz",
]
FITS = {
    "linux_x86_64_gnu": [UV_FILES[8]],
    "linux_x86_64_musl": [UV_FILES[12]],
    "linux_aarch64_gnu": [UV_FILES[3], UV_FILES[9]],
    "linux_aarch64_musl": [UV_FILES[3]],
    "macos_x86_64": [UV_FILES[1]],
    "macos_aarch64": [UV_FILES[2]],
    "windows_x86_64": [UV_FILES[14]],
    "windows_aarch64": [UV_FILES[15]],
}


@pytest.fixture(scope="module")
def env():
    return StarlarkEnv(REPO_ROOT)


@pytest.fixture(scope="module")
def select(env):
    return env.load("//uv/private:uv_tool_select.bzl")


@pytest.fixture(scope="module")
def defaults(env):
    return env.load("//uv/private:uv_tool_versions.bzl")


@pytest.mark.parametrize(
    ("os_name", "arch", "musl", "key"),
    [
        ("linux", "x86_64", False, "linux_x86_64_gnu"),
        ("Linux", "aarch64", True, "linux_aarch64_musl"),
        ("linux", "arm64", False, "linux_aarch64_gnu"),
        ("mac os x", "arm64", False, "macos_aarch64"),
        ("mac os x", "x86_64", False, "macos_x86_64"),
        ("windows 10", "AMD64", False, "windows_x86_64"),
        ("windows server 2022", "ARM64", False, "windows_aarch64"),
        ("freebsd", "amd64", False, None),
        ("linux", "s390x", False, None),
    ],
)
def test_host_key(select, os_name, arch, musl, key):
    assert select.host_key(os_name, arch, musl) == key


@pytest.mark.parametrize("key", sorted(FITS))
def test_wheel_fits_exactly_the_host_wheels(select, key):
    assert [f for f in UV_FILES if select.wheel_fits(f, V, key)] == FITS[key]
    # Another version never fits.
    assert not any(select.wheel_fits(f, "0.13.9", key) for f in UV_FILES)


def test_every_default_pin_has_a_host_key(select, defaults):
    assert sorted(defaults.DEFAULT_UV_SHA256S) == sorted(select.HOST_KEYS) == sorted(FITS)
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in defaults.DEFAULT_UV_SHA256S.values())


PAGE = """<!DOCTYPE html>
<html><body>
<h1>Links for uv</h1>
<a href="../../files/a/{f0}#sha256=AAAA" data-requires-python="&gt;=3.8">{f0}</a><br/>
<A HREF='https://files.example.invalid/p/{f1}?x=1&amp;y=2#sha256=bbbb'>{f1}</A>
<a data-x="1" href=/root/{f2}>{f2}</a>
<a name="no-href">nothing</a>
<abbr>not a link</abbr>
</body></html>
"""


def test_parse_simple_page(select):
    text = PAGE.format(f0=UV_FILES[8], f1=UV_FILES[12], f2=UV_FILES[14])
    files = select.parse_simple_page(text, "https://index.example.invalid/simple/uv/")
    assert files == [
        {
            "filename": UV_FILES[8],
            "sha256": "aaaa",
            "url": f"https://index.example.invalid/files/a/{UV_FILES[8]}",
        },
        {
            "filename": UV_FILES[12],
            "sha256": "bbbb",
            "url": f"https://files.example.invalid/p/{UV_FILES[12]}?x=1&y=2",
        },
        {
            "filename": UV_FILES[14],
            "sha256": "",
            "url": f"https://index.example.invalid/root/{UV_FILES[14]}",
        },
    ]


@pytest.mark.parametrize(
    ("href", "url"),
    [
        ("../../f/x.whl", "http://127.0.0.1:9/f/x.whl"),
        ("x.whl#sha256=1", "http://127.0.0.1:9/simple/uv/x.whl#sha256=1"),
        ("./x.whl", "http://127.0.0.1:9/simple/uv/x.whl"),
        ("/y/x.whl", "http://127.0.0.1:9/y/x.whl"),
        ("//other.invalid/x.whl", "http://other.invalid/x.whl"),
        ("https://a.invalid/x.whl", "https://a.invalid/x.whl"),
        ("../../../../x.whl", "http://127.0.0.1:9/x.whl"),
    ],
)
def test_join_url(select, href, url):
    assert select.join_url("http://127.0.0.1:9/simple/uv/", href) == url


def test_registry_of_a_real_lock(env, select, lock_project, package_index):
    lock = lock_project(["purepkg"], groups=BUILD_GROUP)
    decoded = env.load("//uv/private:toml.bzl").decode_toml(lock.read_text())
    assert select.registry_of_lock(decoded) == package_index.url
    assert select.registry_of_lock({"package": [{"name": "x", "source": {"virtual": "."}}]}) is None


# -- the repository rule, with fake downloads ------------------------------------------------

INDEX = "https://mirror.example.invalid/pypi/simple"
HOST_FILE = UV_FILES[8]
HOST_URL = f"https://mirror.example.invalid/packages/{HOST_FILE}"


def _page(shas: dict[str, str]) -> str:
    links = [f'<a href="/packages/{f}#sha256={shas.get(f, "f" * 64)}">{f}</a>' for f in UV_FILES]
    return "<html><body>\n" + "\n".join(links) + "\n</body></html>\n"


def _run(env, *, index=INDEX, shas=None, files=None, machine="x86_64", **attrs):
    rule = env.load("//uv/private:uv_tool.bzl").uv_tool_repo
    pin = env.load("//uv/private:uv_tool_versions.bzl").DEFAULT_UV_SHA256S["linux_x86_64_gnu"]
    wheel = {f"uv-{V}.data/scripts/uv": "#!binary\n", "uv/__init__.py": ""}
    host = index.split("/")[2]
    return env.run_repository_rule(
        rule,
        name="rules_pyuv_uv",
        attrs={"version": V, **attrs},
        files=files or {},
        execute=lambda argv: (0, machine + "\n", "") if argv == ["uname", "-m"] else (1, "", "?"),
        downloads={
            f"{index.rstrip('/')}/uv/": _page(shas if shas is not None else {HOST_FILE: pin}),
            **{f"{index.split('/')[0]}//{host}/packages/{f}": wheel for f in UV_FILES},
        },
    )


def test_repository_rule_picks_the_pinned_host_wheel(env, defaults):
    result = _run(env, index_url=INDEX + "/")
    pin = defaults.DEFAULT_UV_SHA256S["linux_x86_64_gnu"]
    page, wheel = result.downloads
    assert page["urls"] == [f"{INDEX}/uv/"] and not page["sha256"]
    assert wheel["method"] == "download_and_extract"
    assert wheel["urls"] == [HOST_URL] and wheel["sha256"] == pin and wheel["type"] == "zip"
    build = result["BUILD.bazel"]
    assert f'"wheel/uv-{V}.data/scripts/uv"' in build
    assert "linux_x86_64_gnu" in build and HOST_FILE in build
    assert 'name = "uv"' in build and 'name = "uv_bin"' in build
    # The index's host reaches no generated file.
    assert "mirror.example.invalid" not in build
    assert "simple.html" not in result  # the page is not kept


def test_repository_rule_on_a_musl_host(env):
    musl_file = UV_FILES[12]
    result = _run(
        env,
        index_url=INDEX,
        sha256s={"linux_x86_64_musl": "c" * 64},
        shas={musl_file: "c" * 64, HOST_FILE: "c" * 64},
        files={"/lib/ld-musl-x86_64.so.1": ""},
    )
    # Both files carry the pinned hash on the page; only the musl one fits the host.
    assert result.downloads[1]["urls"] == [f"https://mirror.example.invalid/packages/{musl_file}"]
    assert "linux_x86_64_musl" in result["BUILD.bazel"]


def test_a_page_without_hashes_still_downloads_with_the_pin(env, defaults):
    result = _run(env, index_url=INDEX, shas={f: "" for f in UV_FILES})
    assert result.downloads[1]["urls"] == [HOST_URL]
    assert result.downloads[1]["sha256"] == defaults.DEFAULT_UV_SHA256S["linux_x86_64_gnu"]


def test_wrong_pin_fails_naming_host_hash_and_fix(env):
    with pytest.raises(StarlarkFail) as err:
        _run(env, index_url=INDEX, sha256s={"linux_x86_64_gnu": "0" * 64})
    message = str(err.value)
    assert f"no wheel on {INDEX}/uv/ fits this host" in message
    assert "(linux_x86_64_gnu) with the pinned sha256 " + "0" * 64 in message
    assert HOST_FILE in message
    assert 'sha256s["linux_x86_64_gnu"]' in message


def test_a_host_without_a_pin_fails(env):
    with pytest.raises(
        StarlarkFail, match=r"no sha256 is pinned for this host \(linux_aarch64_gnu\)"
    ):
        _run(env, index_url=INDEX, machine="aarch64", sha256s={"linux_x86_64_gnu": "0" * 64})


def test_an_unsupported_host_fails(env):
    with pytest.raises(
        StarlarkFail, match=r"no uv wheel is known for this host \(os linux, cpu s390x\)"
    ):
        _run(env, index_url=INDEX, machine="s390x")


def test_another_version_needs_its_hashes(env):
    with pytest.raises(StarlarkFail, match=r"pins hashes for uv 0\.13\.8 only; give sha256s"):
        _run(env, index_url=INDEX, version="0.9.0")


def test_unknown_host_key_fails(env):
    with pytest.raises(StarlarkFail, match=r'unknown host key "linux_x86_64"'):
        _run(env, index_url=INDEX, sha256s={"linux_x86_64": "0" * 64})


def test_no_index_fails_with_the_fix(env):
    with pytest.raises(StarlarkFail, match=r"no index to fetch uv from: set index_url"):
        _run(env)


def test_index_from_the_lock_registry(env, lock_project, package_index):
    lock = lock_project(["purepkg"], groups=BUILD_GROUP)
    result = _run(
        env, index=package_index.url, lockfile="//:uv.lock", files={"//:uv.lock": lock.read_text()}
    )
    assert result.downloads[0]["urls"] == [f"{package_index.url}/uv/"]


# -- bzlmod: the uv.tool tag -----------------------------------------------------------------


def _run_extension(env, modules, lock_text):
    uv = env.load("@rules_pyuv//uv:extensions.bzl").uv
    return env.run_module_extension(uv, modules, files={"//:uv.lock": lock_text})


@pytest.fixture
def lock_text(lock_project):
    return lock_project(["purepkg"], groups=BUILD_GROUP).read_text()


def test_bzlmod_root_tool_tag_declares_the_tool(env, lock_text):
    tool = {"version": "0.9.0", "sha256s": {"macos_aarch64": "a" * 64}, "index_url": INDEX}
    modules = [
        FakeModule(
            "app",
            is_root=True,
            tags={"lock": [{"name": "pypi", "lockfile": "//:uv.lock"}], "tool": [tool]},
        ),
        # A library's choice of uv never wins: uv is the developer's tool.
        FakeModule("lib", version="1.0", tags={"tool": [{"version": "0.1.0"}]}),
        FakeModule("rules_pyuv", version="0.1.0"),
    ]
    result = _run_extension(env, modules, lock_text)
    repo = result.repo("rules_pyuv_uv")
    assert repo.rule_name == "uv_tool_repo"
    assert repo.attrs["version"] == "0.9.0"
    assert repo.attrs["sha256s"] == {"macos_aarch64": "a" * 64}
    assert repo.attrs["index_url"] == INDEX
    assert str(repo.attrs["lockfile"]).endswith("//:uv.lock")
    assert result.metadata["root_module_direct_deps"] == ["pypi"]


def test_bzlmod_defaults_take_the_index_from_the_root_lock(env, defaults, lock_text):
    modules = [
        FakeModule("app", is_root=True, tags={"lock": [{"name": "pypi", "lockfile": "//:uv.lock"}]})
    ]
    repo = _run_extension(env, modules, lock_text).repo("rules_pyuv_uv")
    assert repo.attrs.get("version", defaults.DEFAULT_UV_VERSION) == defaults.DEFAULT_UV_VERSION
    assert not repo.attrs.get("index_url") and not repo.attrs.get("sha256s")
    assert str(repo.attrs["lockfile"]).endswith("//:uv.lock")


def test_bzlmod_rules_pyuv_as_root_brings_the_tool_in(env, lock_text):
    result = _run_extension(
        env, [FakeModule("rules_pyuv", version="0.1.0", is_root=True)], lock_text
    )
    assert result.repo("rules_pyuv_uv").attrs.get("lockfile") is None
    assert result.metadata["root_module_direct_deps"] == ["rules_pyuv_uv"]


def test_bzlmod_two_tool_tags_fail(env, lock_text):
    modules = [FakeModule("app", is_root=True, tags={"tool": [{}, {"version": "0.9.0"}]})]
    with pytest.raises(StarlarkFail, match=r"uv.tool\(\) is declared 2 times in module app"):
        _run_extension(env, modules, lock_text)
