"""Tests of the Starlark harness (tests/support/starlark_env.py) on a tiny fake repository."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.starlark_env import (
    BazelError,
    FakeModule,
    HarnessError,
    HarnessUnsupported,
    Label,
    RecordedRule,
    StarlarkEnv,
    StarlarkEvalError,
    StarlarkFail,
    StarlarkRef,
    Struct,
)

MINIREPO = Path(__file__).parent / "testdata" / "starlark" / "minirepo"

ROOT_LOCK = """\
# name version url sha256
Six 1.16.0 https://files.example.invalid/six-1.16.0-py2.py3-none-any.whl aaaa
attrs 23.1.0 https://files.example.invalid/attrs-23.1.0-py3-none-any.whl bbbb
"""
DEP_LOCK = "zope.interface 6.0 https://files.example.invalid/zope.interface-6.0.tar.gz cccc\n"


@pytest.fixture
def env() -> StarlarkEnv:
    return StarlarkEnv(MINIREPO, repo_name="minirepo")


def _modules(root_tags=None, dep_tags=None):
    return [
        FakeModule(
            "app",
            is_root=True,
            tags=root_tags
            if root_tags is not None
            else {
                "lock": [{"name": "pypi", "lockfile": "//:uv.lock", "python_version": "3.12"}],
                "override": [{"package": "SIX", "url": "https://mirror.example.invalid/six.whl"}],
            },
        ),
        FakeModule(
            "dep_mod",
            version="1.2.3",
            tags=dep_tags
            if dep_tags is not None
            else {"lock": [{"name": "dep_pypi", "lockfile": "//:deps.lock"}]},
        ),
    ]


FILES = {"//:uv.lock": ROOT_LOCK, "@dep_mod//:deps.lock": DEP_LOCK}


# ---- loading


@pytest.mark.parametrize(
    "where",
    [
        "@minirepo//ext:extensions.bzl",
        "@@minirepo//ext:extensions.bzl",
        "//ext:extensions.bzl",
        "ext/extensions.bzl",
        MINIREPO / "ext" / "extensions.bzl",
    ],
)
def test_load_by_label_or_path(env, where):
    ns = env.load(where)
    assert ns.label == Label("minirepo", "ext", "extensions.bzl")
    assert isinstance(ns.toy, StarlarkRef) and ns.toy.kind == "module_extension"
    assert sorted(ns.toy.info.tag_classes) == ["lock", "override"]


def test_loads_resolve_relative_absolute_and_repo_labels_and_are_cached(env):
    # extensions.bzl loads ":helpers.bzl", "//repo:repo.bzl", "@minirepo//lib:names.bzl";
    # helpers.bzl loads "//lib:names.bzl" again: one evaluation per env.
    env.load("//ext:extensions.bzl")
    env.load("@minirepo//lib:names.bzl")
    assert env.printed == ["loading lib/names.bzl"]
    assert env.load("//ext:helpers.bzl").repo_name_for("pypi", "six") == "pypi__six"
    assert env.load("//lib:names.bzl").normalize("Zope.Interface__x") == "zope_interface_x"


def test_private_symbols_are_reachable_and_missing_ones_raise(env):
    helpers = env.load("//ext:helpers.bzl")
    assert helpers._private_helper(21) == {"doubled": 42}
    assert "_private_helper" in dir(helpers)
    with pytest.raises(AttributeError, match="no_such_function"):
        _ = helpers.no_such_function


def test_external_repos_need_stubs(env):
    with pytest.raises(HarnessError, match=r"@@platforms//host:constraints.bzl.*add_stub"):
        env.load("//misc:needs_platforms.bzl")
    env2 = StarlarkEnv(
        MINIREPO,
        repo_name="minirepo",
        stubs={"@platforms//host:constraints.bzl": 'HOST_CONSTRAINTS = ["@platforms//os:linux"]'},
    )
    assert env2.load("//misc:needs_platforms.bzl").host() == ["@platforms//os:linux"]


def test_bazel_dialect_rejects_what_bazel_rejects(env):
    for source in (
        'x = f"{1}"\n',
        "for x in []:\n    pass\n",
        "def f():\n    while True:\n        pass\n",
        "def f(a, /, b):\n    pass\n",
    ):
        with pytest.raises(StarlarkEvalError):
            env.load_source(f"//dialect:case{len(env._stubs)}.bzl", source)
    ns = env.load_source(
        "//dialect:ok.bzl",
        "def f(a, *args, b = 1, **kwargs):\n"
        "    return [a, list(args), b, {k: v for k, v in kwargs.items()}]\n"
        "g = lambda x: x.removeprefix('py').upper()\n",
    )
    assert ns.f(1, 2, b=3, c=4) == [1, [2], 3, {"c": 4}]
    assert ns.g("python") == "THON"


# ---- errors


def test_fail_message_surfaces(env):
    errors = env.load("//misc:errors.bzl")
    with pytest.raises(StarlarkFail) as info:
        errors.boom(42)
    assert info.value.message == "boom: 42"
    assert "misc/errors.bzl:4, in boom" in info.value.traceback
    with pytest.raises(StarlarkFail) as info:
        errors.bad_attr()
    assert info.value.message == "attribute lockfile: must not be empty"
    with pytest.raises(StarlarkEvalError, match="not supported") as info:
        errors.type_error()
    assert not isinstance(info.value, StarlarkFail)


def test_fail_at_load_time(env):
    with pytest.raises(StarlarkFail) as info:
        env.load("//misc:load_time_fail.bzl")
    assert info.value.message == "broken at load time"


# ---- values


def test_python_values_round_trip(env):
    values = env.load("//misc:values.bzl")
    data = {"s": "x", "i": 3, "f": 1.5, "b": True, "n": None, "l": [1, [2]], "d": {"k": {}}}
    assert values.echo(data) == data
    assert values.echo((1, "a")) == (1, "a")
    assert values.echo({1: "int key"}) == {1: "int key"}
    label = Label.parse("@foo//bar:baz")
    assert values.echo(label) == label
    assert values.describe(label) == {"type": "Label", "str": "@@foo//bar:baz"}
    assert values.here() == Label("minirepo", "misc", "values.bzl")
    s = values.make_struct(a=1, nested=Struct(b=[2]))
    assert s == {"a": 1, "nested": {"b": [2]}}
    assert s.nested.b == [2]
    assert values.LIMITS == {"python_versions": ("3.10", "3.11"), "max": 3}
    assert values.apply(values.describe, 7) == {"type": "int", "str": "7"}


def test_json_behaves_like_bazel(env):
    cases = env.load("//misc:values.bzl").json_cases()
    assert cases["encoded"] == (
        '{"a":{"y":[],"z":"x\\n"},"b":[1,2.5,null,true],"c":{"j":"v","k":1}}'
    )
    assert cases["decoded"] == {
        "a": {"y": [], "z": "x\n"},
        "b": [1, 2.5, None, True],
        "c": {"j": "v", "k": 1},
    }
    assert cases["default"] is None


def test_print_is_captured(env):
    env.load("//misc:values.bzl").print_things()
    assert env.printed[-1] == "hello 1 struct(a=1)"


def test_attr_descriptors_are_recorded(env):
    ns = env.load_source(
        "//pkg:attrs.bzl",
        "ATTRS = {\n"
        '    "s": attr.string(default = "a", values = ["a", "b"], doc = "S."),\n'
        '    "l": attr.label(mandatory = True, allow_files = [".lock"]),\n'
        '    "ll": attr.label_list(default = [":x", "@other//y"]),\n'
        '    "d": attr.string_dict(),\n'
        "}\n",
    )
    s, lab, ll = ns.ATTRS["s"], ns.ATTRS["l"], ns.ATTRS["ll"]
    assert (s.type, s.default, s.mandatory, s.values, s.doc) == (
        "string",
        "a",
        False,
        ["a", "b"],
        "S.",
    )
    assert (lab.type, lab.default, lab.mandatory, lab.options) == (
        "label",
        None,
        True,
        {"allow_files": [".lock"]},
    )
    assert ll.default == [Label("minirepo", "pkg", "x"), Label("other", "y", "y")]
    assert ns.ATTRS["d"].default == {}
    tag_attrs = env.load("//ext:extensions.bzl").toy.info.tag_classes["lock"].info.attrs
    assert tag_attrs["python_version"].values == ["3.10", "3.11", "3.12"]


# ---- module extensions


def test_module_extension_creates_repos_from_two_modules(env):
    toy = env.load("//ext:extensions.bzl").toy
    result = env.run_module_extension(toy, _modules(), files=FILES)
    assert result.repo_names == [
        "pypi__six",
        "pypi__attrs",
        "pypi",
        "dep_pypi__zope_interface",
        "dep_pypi",
    ]
    assert result.repo("pypi__six") == RecordedRule(
        "http_file",
        {
            "name": "pypi__six",
            "urls": ["https://mirror.example.invalid/six.whl"],
            "sha256": "",
            "downloaded_file_path": "six-1.16.0-py2.py3-none-any.whl",
        },
    )
    hub = result.repo("pypi")
    assert hub.rule_name == "toy_hub"
    assert hub.attrs == {
        "name": "pypi",
        "lockfile": Label("", "", "uv.lock"),
        "packages": ["six", "attrs"],
        "python_version": "3.12",
    }
    # Labels in tags resolve against the module that wrote them.
    assert result.repo("dep_pypi").attrs["lockfile"] == Label("dep_mod", "", "deps.lock")
    assert result.repo("dep_pypi").attrs["python_version"] == "3.11"  # the tag default


def test_extension_metadata_is_recorded(env):
    toy = env.load("//ext:extensions.bzl").toy
    result = env.run_module_extension(toy, _modules(), files=FILES)
    assert result.metadata == {
        "root_module_direct_deps": ["pypi"],
        "root_module_direct_dev_deps": [],
        "reproducible": True,
    }
    assert result.return_value == result.metadata


def test_duplicate_repo_name_fails(env):
    toy = env.load("//ext:extensions.bzl").toy
    dup = {"lock": [{"name": "pypi", "lockfile": "//:deps.lock"}]}
    with pytest.raises(BazelError, match="A repo named pypi is already generated"):
        env.run_module_extension(toy, _modules(dep_tags=dup), files=FILES)


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        (
            {"lock": [{"name": "pypi"}]},
            "missing value for mandatory attribute 'lockfile' in 'lock' tag of module 'app'",
        ),
        (
            {"lock": [{"name": "pypi", "lockfile": "//:uv.lock", "pyversion": "3"}]},
            "no such attribute 'pyversion' in 'lock' tag of module 'app'",
        ),
        (
            {"lock": [{"name": "pypi", "lockfile": "//:uv.lock", "python_version": "2.7"}]},
            'has to be one of "3.10" or "3.11" or "3.12" instead of "2.7"',
        ),
        (
            {"lock": [{"name": ["pypi"], "lockfile": "//:uv.lock"}]},
            "expected value of type 'string' for attribute 'name' in 'lock' tag",
        ),
        ({"lokc": [{}]}, "no tag class named 'lokc'"),
    ],
)
def test_bad_tags_fail_like_bazel(env, tags, message):
    toy = env.load("//ext:extensions.bzl").toy
    with pytest.raises(BazelError, match=message.replace("(", r"\(").replace(")", r"\)")):
        env.run_module_extension(toy, _modules(root_tags=tags), files=FILES)


def test_module_ctx_read_of_a_missing_file_names_it(env):
    toy = env.load("//ext:extensions.bzl").toy
    with pytest.raises(BazelError, match=r"Unable to read @@//:uv.lock"):
        env.run_module_extension(toy, _modules(), files={"@dep_mod//:deps.lock": DEP_LOCK})


def test_module_ctx_download_and_execute_need_fakes(env):
    ns = env.load_source(
        "//pkg:dl.bzl",
        "def _impl(mctx):\n"
        '    mctx.download("https://example.invalid/a.txt", "a.txt")\n'
        '    mctx.file("copy.txt", mctx.read("a.txt"))\n'
        '    r = mctx.execute(["tool", mctx.path("copy.txt")])\n'
        '    mctx.report_progress("done %d" % r.return_code)\n'
        "ext = module_extension(implementation = _impl)\n",
    )
    modules = [FakeModule("app", is_root=True)]
    with pytest.raises(HarnessUnsupported, match="download.*not supported in this harness"):
        env.run_module_extension(ns.ext, modules)
    downloads = {"https://example.invalid/a.txt": "payload"}
    with pytest.raises(HarnessUnsupported, match="execute.*not supported in this harness"):
        env.run_module_extension(ns.ext, modules, downloads=downloads)
    result = env.run_module_extension(
        ns.ext, modules, downloads=downloads, execute=lambda argv: (3, "", "")
    )
    assert result.ctx.files() == {"a.txt": "payload", "copy.txt": "payload"}
    assert result.ctx.executions[0]["argv"] == ["tool", "/harness/module_extension/copy.txt"]
    assert result.ctx.progress == ["done 3"]


# ---- repository rules


def test_repository_rule_writes_files_and_templates(env):
    toy = env.load("//ext:extensions.bzl").toy
    hub = env.run_module_extension(toy, _modules(), files=FILES).repo("pypi")
    calls = []

    def fake_execute(argv):
        calls.append(argv)
        return 0, "Python 3.12.1\n", ""

    files = env.run_repository_rule(
        hub,
        files=FILES,
        os_name="mac os x",
        which={"python3": "/usr/bin/python3"},
        execute=fake_execute,
    )
    assert sorted(files) == [
        "BUILD.bazel",
        "attrs/BUILD.bazel",
        "info.json",
        "six/BUILD.bazel",
        "tool.sh",
    ]
    assert files["BUILD.bazel"] == '# Generated hub pypi\nPACKAGES = ["six","attrs"]\n'
    assert files["six/BUILD.bazel"] == 'alias(name = "six", actual = "@pypi__six//file")\n'
    assert files["info.json"] == (
        '{"lock_lines":3,"lockfile":"@@//:uv.lock","os":"mac os x",'
        '"python":"Python 3.12.1","python_version":"3.12"}'
    )
    assert files.executable == {"tool.sh"}
    assert files.progress == ["writing hub pypi"]
    assert calls == [["/usr/bin/python3", "--version"]]


def test_repository_rule_direct_call_checks_attributes(env):
    toy_hub = env.load("//repo:repo.bzl").toy_hub
    assert toy_hub.kind == "repository_rule"
    with pytest.raises(BazelError, match="missing value for mandatory attribute 'lockfile'"):
        env.run_repository_rule(toy_hub, name="hub")
    with pytest.raises(BazelError, match="no such attribute 'bogus' in 'toy_hub' rule"):
        env.run_repository_rule(toy_hub, name="hub", lockfile="//:x.lock", bogus=1)
    files = env.run_repository_rule(
        toy_hub, name="hub", lockfile="//:x.lock", files={"//:x.lock": ""}
    )
    assert json.loads(files["info.json"])["python"] == "unknown"  # no python3 on the fake PATH


def test_stub_http_rules_are_recorded_not_run(env):
    with pytest.raises(StarlarkFail, match="does not run f: test it in real Bazel 4.2.3"):
        env.run_repository_rule(
            "@bazel_tools//tools/build_defs/repo:http.bzl%http_file",
            name="f",
            urls=["https://example.invalid/x.whl"],
            downloaded_file_path="x.whl",
        )


# ---- WORKSPACE macros


def test_workspace_macros_and_targets_are_left_to_real_bazel(env):
    deps = env.load("//workspace:deps.bzl")
    with pytest.raises(HarnessUnsupported, match=r"native.existing_rule: .* real Bazel 4.2.3"):
        deps.toy_dependencies()
    with pytest.raises(HarnessUnsupported, match=r"toy_hub\(name = 'hub'\) called outside"):
        deps.toy_hub_twice()


# ---- Labels and paths


def test_labels_print_as_strings_when_they_reach_python(env):
    values = env.load("//misc:values.bzl")
    assert values.formatted(":x") == {
        "percent": "@@minirepo//misc:x",
        "format": "@@minirepo//misc:x/x",
        "str": "@@minirepo//misc:x",
    }
    old = StarlarkEnv(MINIREPO, repo_name="minirepo", label_style="workspace")
    assert old.load("//misc:values.bzl").formatted("//:x")["str"] == "@minirepo//:x"
    assert old.load("//misc:values.bzl").formatted("@//:x")["percent"] == "//:x"


PATHS_BZL = """
def _impl(rctx):
    p = rctx.path(Label("@@//data:a.txt"))
    rctx.file("sub/x.txt", "x")
    out = {
        "str": str(p),
        "fmt": "%s" % p,
        "basename": p.basename,
        "dirname": str(p.dirname),
        "exists": p.exists,
        "missing": rctx.path("nope").exists,
        "child": str(rctx.path(".").get_child("sub", "x.txt")),
        "listing": [c.basename for c in rctx.path("sub").readdir()],
        "is_dir": rctx.path("sub").is_dir,
        "read": rctx.read("sub/x.txt"),
        "os": [rctx.os.name, rctx.os.arch],
        "workspace_root": str(rctx.workspace_root),
        "types": [type(p), type(rctx), type(Label("//x"))],
    }
    rctx.file("out.json", json.encode(out))

paths = repository_rule(implementation = _impl)
"""


def test_repository_ctx_paths(env):
    ns = env.load_source("//pkg:paths.bzl", PATHS_BZL)
    files = env.run_repository_rule(ns.paths, name="p", files={"//data:a.txt": "A"}, arch="aarch64")
    assert json.loads(files["out.json"]) == {
        "str": "/harness/workspace/data/a.txt",
        "fmt": "/harness/workspace/data/a.txt",
        "basename": "a.txt",
        "dirname": "/harness/workspace/data",
        "exists": True,
        "missing": False,
        "child": "/harness/external/p/sub/x.txt",
        "listing": ["x.txt"],
        "is_dir": True,
        "read": "x",
        "os": ["linux", "aarch64"],
        "workspace_root": "/harness/workspace",
        "types": ["path", "repository_ctx", "Label"],
    }


def test_bazel_tools_utils_stub_parses_netrc(env):
    utils = env.load("@bazel_tools//tools/build_defs/repo:utils.bzl")
    netrc = utils.parse_netrc("machine idx.example.invalid\n  login u password p\n")
    assert netrc == {"idx.example.invalid": {"login": "u", "password": "p"}}
