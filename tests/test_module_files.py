"""MODULE.bazel files (bzlmod), evaluated in a real Starlark interpreter.

Bazel 7+ cannot run here, so the module files of the ruleset and of the example are
evaluated with recording stand-ins for module(), bazel_dep(), use_extension(), ...; every
reference they make is checked (extension files and names, tag classes and attributes,
toolchain packages, repositories brought in with use_repo), and the real extensions are
run with the tags read from the files.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.support.index_fixtures import ALL_DEPENDENCIES, BUILD_GROUP
from tests.support.starlark_env import FakeModule, StarlarkEnv

REPO_ROOT = Path(__file__).resolve().parents[1]

# The module-file functions record their calls; use_extension returns a proxy whose
# attributes are tag functions.
_RECORDER = """\
def evaluate():
    calls = []

    def record(kind, *args, **kwargs):
        calls.append({{"kind": kind, "args": list(args), "kwargs": kwargs}})

    def module(**kwargs):
        record("module", **kwargs)

    def bazel_dep(**kwargs):
        record("bazel_dep", **kwargs)

    def local_path_override(**kwargs):
        record("local_path_override", **kwargs)

    def register_toolchains(*args, **kwargs):
        record("register_toolchains", *args, **kwargs)

    def use_repo(proxy, *args, **kwargs):
        record("use_repo", proxy.id, *args, **kwargs)

    def tag_function(ext, tag):
        def add_tag(**kwargs):
            record("tag", ext, tag, **kwargs)

        return add_tag

    def use_extension(bzl, name, **kwargs):
        ext = bzl + "%" + name
        record("use_extension", bzl, name, **kwargs)
        return struct(
            id = ext,
            lock = tag_function(ext, "lock"),
            host_toolchain = tag_function(ext, "host_toolchain"),
        )

{body}
    return calls
"""


def evaluate_module_file(env: StarlarkEnv, path: Path) -> list[dict]:
    body = textwrap.indent(path.read_text(), "    ")
    module = env.load_source(f"//:_{path.parent.name}_module.bzl", _RECORDER.format(body=body))
    return module.evaluate()


def _of(calls, kind):
    return [c for c in calls if c["kind"] == kind]


def _extension(env, module_repo, bzl, name):
    label = bzl if bzl.startswith("@") else f"@{module_repo}{bzl}"
    ref = getattr(env.load(label.replace(f"@{module_repo}//", "//")), name)
    assert ref.kind == "module_extension", (bzl, name, ref.kind)
    return ref


def _tags(calls, ext_id):
    tags = {}
    for call in _of(calls, "tag"):
        ext, tag = call["args"]
        if ext == ext_id:
            tags.setdefault(tag, []).append(call["kwargs"])
    return tags


@pytest.fixture(scope="module")
def env():
    return StarlarkEnv(REPO_ROOT)


def test_the_rulesets_module_file(env):
    calls = evaluate_module_file(env, REPO_ROOT / "MODULE.bazel")
    (module,) = _of(calls, "module")
    assert module["kwargs"]["name"] == "rules_pyuv"
    assert [d["kwargs"]["name"] for d in _of(calls, "bazel_dep")] == ["bazel_skylib", "platforms"]
    registered = [a for c in _of(calls, "register_toolchains") for a in c["args"]]
    assert registered == ["//uv/toolchains:all", "@rules_pyuv_python_host//:all"]
    assert (REPO_ROOT / "uv" / "toolchains" / "BUILD.bazel").exists()

    # Every repository the file brings in (and registers toolchains from) is created by
    # the extension it names: the host Python toolchain, and the pinned uv.
    brought_in = {}
    for use in _of(calls, "use_extension"):
        bzl, name = use["args"]
        ext_id = f"{bzl}%{name}"
        ext = _extension(env, "rules_pyuv", bzl, name)
        result = env.run_module_extension(
            ext, [FakeModule("rules_pyuv", "0.1.0", is_root=True, tags=_tags(calls, ext_id))]
        )
        (use_repo,) = [c for c in _of(calls, "use_repo") if c["args"][0] == ext_id]
        brought_in[name] = use_repo["args"][1:]
        assert set(use_repo["args"][1:]) <= {r.name for r in result.repos}
        if result.metadata is not None:
            assert result.metadata["root_module_direct_deps"] == use_repo["args"][1:]
    assert brought_in == {"python": ["rules_pyuv_python_host"], "uv": ["rules_pyuv_uv"]}


def test_the_examples_module_file_drives_the_real_extensions(env, lock_project):
    lock = lock_project(ALL_DEPENDENCIES, groups=BUILD_GROUP)
    calls = evaluate_module_file(env, REPO_ROOT / "e2e" / "example" / "MODULE.bazel")
    deps = {d["kwargs"]["name"] for d in _of(calls, "bazel_dep")}
    assert deps == {"rules_pyuv", "platforms"}
    (override,) = _of(calls, "local_path_override")
    assert (REPO_ROOT / "e2e" / "example" / override["kwargs"]["path"]).resolve() == REPO_ROOT
    registered = [a for c in _of(calls, "register_toolchains") for a in c["args"]]
    assert registered == ["//platforms:all"]
    assert (REPO_ROOT / "e2e" / "example" / "platforms" / "BUILD.bazel").exists()

    (use,) = _of(calls, "use_extension")
    bzl, name = use["args"]
    assert bzl == "@rules_pyuv//uv:extensions.bzl"
    uv = _extension(env, "rules_pyuv", bzl, name)
    tags = _tags(calls, f"{bzl}%{name}")
    result = env.run_module_extension(
        uv,
        [FakeModule("example", is_root=True, tags=tags)],
        files={"//:uv.lock": lock.read_text()},
    )
    (use_repo,) = _of(calls, "use_repo")
    wanted = use_repo["args"][1:]
    assert wanted == ["pypi"]
    assert set(wanted) <= {r.name for r in result.repos}
    assert result.metadata["root_module_direct_deps"] == wanted
    hub = env.run_repository_rule(
        result.repo("pypi"), name="pypi", attrs=result.repo("pypi").attrs, files={}
    )
    # The script the module file names becomes a hub target.
    assert 'name = "mixed-case-hello"' in hub["mixed_case_pkg/BUILD.bazel"]
