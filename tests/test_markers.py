"""Differential tests of ``uv/private/markers.bzl`` against ``packaging`` (the reference).

The real ``.bzl`` file runs in Bazel 4.2.3: ``starlark_calls`` below declares every call,
the session's one Bazel build answers them (tests/support/starlark_bazel.py). Seeded random markers
(every variable, operator, quote style, operand order, nesting), real-world markers
(``tests/testdata/markers/real_world.txt``) and every marker of real uv locks are evaluated
for the 6 targets of ``marker_env`` x Python 3.9-3.14 x a few extras/groups, and compared
with ``packaging.markers.Marker(text).evaluate(env, context="lock_file")``.

uv's ``group == 'x'`` is not PEP 508; packaging evaluates it as PEP 751's
``'x' in dependency_groups``, which is what the module documents it to mean.
"""

from __future__ import annotations

import itertools
import random
import tomllib
from pathlib import Path

import pytest
from packaging.markers import InvalidMarker, Marker

from tests.support.starlark_bazel import StarlarkFail

REPO_ROOT = Path(__file__).resolve().parents[1]
TESTDATA = Path(__file__).resolve().parent / "testdata" / "markers"
SEED = 508

TARGETS = [
    ("linux", "x86_64"),
    ("linux", "aarch64"),
    ("macos", "x86_64"),
    ("macos", "aarch64"),
    ("windows", "x86_64"),
    ("windows", "aarch64"),
]
PYTHONS = ["3.9", "3.10", "3.11", "3.12", "3.13", "3.14"]

# What the interpreter reports on each target: sys.platform, platform.system(), os.name,
# platform.machine().
EXPECTED_PLATFORM = {
    ("linux", "x86_64"): ("linux", "Linux", "posix", "x86_64"),
    ("linux", "aarch64"): ("linux", "Linux", "posix", "aarch64"),
    ("macos", "x86_64"): ("darwin", "Darwin", "posix", "x86_64"),
    ("macos", "aarch64"): ("darwin", "Darwin", "posix", "arm64"),
    ("windows", "x86_64"): ("win32", "Windows", "nt", "AMD64"),
    ("windows", "aarch64"): ("win32", "Windows", "nt", "ARM64"),
}

# (extras, groups). The `extra` variable holds one value in packaging, so at most one
# extra per combination; groups may hold several.
NAME_SETS = [
    ([], []),
    (["foo"], ["dev"]),
    (["Foo.Bar"], ["dev", "test"]),
    (["extra-3-app-one"], ["Dev_Group"]),
]

BATCH_SOURCE = """
load("//uv/private:markers.bzl", "evaluate_marker", "marker_env", "parse_marker")

def make_envs(targets):
    return [marker_env(os, cpu, python) for os, cpu, python in targets]

def evaluate_all(markers, contexts, mode):
    # contexts: [(os, cpu, python), extras, groups]; the environment is marker_env's.
    if mode == "compiled":
        markers = [parse_marker(m) for m in markers]
    elif mode == "json":
        markers = [json.decode(json.encode(parse_marker(m))) for m in markers]
    out = []
    for target, extras, groups in contexts:
        env = marker_env(*target)
        cache = {}
        out.append([evaluate_marker(m, env, extras, groups, cache) for m in markers])
    return out

def evaluate_rounds(markers, env, rounds):
    compiled = [parse_marker(m) for m in markers]
    count = 0
    for _ in range(rounds):
        cache = {}
        for m in compiled:
            if evaluate_marker(m, env, ["foo"], ["dev"], cache):
                count += 1
    return count
"""


MARKERS = "//uv/private:markers.bzl"
BATCH = "//tests:markers_batch.bzl"


@pytest.fixture(scope="module")
def markers(starlark_bazel):
    return starlark_bazel.load(MARKERS)


@pytest.fixture(scope="module")
def batch(starlark_bazel):
    return starlark_bazel.load_source(BATCH, BATCH_SOURCE)


def python_env(os: str, cpu: str, python: str) -> dict:
    """What the interpreter reports on the target, written out in Python (the reference)."""
    sys_platform, system, os_name, machine = EXPECTED_PLATFORM[(os, cpu)]
    full = python if python.count(".") == 2 else python + ".0"
    return {
        "implementation_name": "cpython",
        "implementation_version": full,
        "os_name": os_name,
        "platform_machine": machine,
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_system": system,
        "platform_version": "",
        "python_full_version": full,
        "python_version": ".".join(python.split(".")[:2]),
        "sys_platform": sys_platform,
    }


GRID_TARGETS = [(os, cpu, python) for (os, cpu), python in itertools.product(TARGETS, PYTHONS)]


@pytest.fixture(scope="module")
def contexts():
    """(env, extras, groups, target) for every target x Python x name set."""
    return [(python_env(*t), x, g, t) for t in GRID_TARGETS for x, g in NAME_SETS]


def _packaging_env(context) -> dict:
    env, extras, groups = context[:3]
    return {
        **env,
        "extra": extras[0] if extras else "",
        "extras": frozenset(extras),
        "dependency_groups": frozenset(groups),
    }


def _reference(text: str, contexts) -> list[bool] | None:
    """packaging's answers, or None if it raises for any context."""
    marker = Marker(text)
    try:
        return [marker.evaluate(_packaging_env(c), context="lock_file") for c in contexts]
    except (ValueError, KeyError):
        return None


def _starlark_contexts(contexts) -> list:
    """The contexts as evaluate_all takes them: the environment is made in Starlark."""
    return [(c[3], c[1], c[2]) for c in contexts]


def _compare(batch, pairs, contexts, mode="compiled"):
    """Evaluates our texts and checks them against packaging's on the reference texts."""
    # An empty list would compare nothing and pass.
    assert pairs and contexts, "nothing to compare"
    ours = [p[0] for p in pairs]
    results = batch.evaluate_all(ours, _starlark_contexts(contexts), mode)
    true = 0
    for i, (text, reference_text) in enumerate(pairs):
        expected = _reference(reference_text, contexts)
        assert expected is not None, reference_text
        for context, row in zip(contexts, results, strict=True):
            want = expected[contexts.index(context)]
            true += want
            assert row[i] == want, (text, context)
    return true


def test_marker_env_reports_the_interpreters_values(batch):
    targets = [(os, cpu, "3.11") for os, cpu in TARGETS] + [("linux", "x86_64", "3.13.2")]
    envs = batch.make_envs(targets)
    # The reference environments of the differential tests are marker_env's on every target.
    assert batch.make_envs(GRID_TARGETS) == [python_env(*t) for t in GRID_TARGETS]
    assert envs == [python_env(*t) for t in targets]


BAD_ENV_ARGS = [
    (("freebsd", "x86_64", "3.11"), '"freebsd"'),
    (("linux", "riscv64", "3.11"), '"riscv64"'),
    (("linux", "x86_64", "3"), '"3"'),
    (("linux", "x86_64", "3.11.x"), '"3.11.x"'),
]


def test_marker_env_pypy_and_bad_arguments(markers):
    env = markers.marker_env("linux", "aarch64", "3.10", implementation="pypy")
    assert env["implementation_name"] == "pypy"
    assert env["platform_python_implementation"] == "PyPy"
    assert env["implementation_version"] == ""
    for args, needle in BAD_ENV_ARGS:
        with pytest.raises(StarlarkFail, match="marker_env") as info:
            markers.marker_env(*args)
        assert needle in str(info.value)


# ---- random markers

VERSION_VALUES = ["3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "3", "3.1", "2.7", "4"]
VERSION_VALUES += ["3.11.*", "3.*", "3.10.0", "3.11.0", "3.12.1", "3.13.0rc1", "3.14.0a1"]
VERSION_VALUES += ["3.10.*", "3.11.0.*", " 3.11 ", "abc", "", "3.11+local", "v3.11", "3.9.dev0"]
VALUES = {
    "python_version": VERSION_VALUES,
    "python_full_version": VERSION_VALUES,
    "implementation_version": VERSION_VALUES,
    "platform_release": ["", "5.15", "6.0.0-1057-azure", "22.1.0", "10", "5.*"],
    "platform_version": ["", "#1 SMP", "10.0.19045"],
    "os_name": ["posix", "nt", "java", "pos", "t"],
    "sys_platform": ["linux", "darwin", "win32", "cygwin", "lin", "linux2", "win"],
    "platform_system": ["Linux", "Darwin", "Windows", "Java", "linux", "in"],
    "platform_machine": ["x86_64", "aarch64", "arm64", "AMD64", "ARM64", "i686", "x86", "64"],
    "platform_python_implementation": ["CPython", "PyPy", "Jython", "Python"],
    "implementation_name": ["cpython", "pypy", "python"],
    "extra": ["foo", "Foo_Bar", "foo-bar", "foo..bar", "extra-3-app-one", "bar", "", "fo"],
    "extras": ["foo", "Foo_Bar", "foo-bar", "bar"],
    "dependency_groups": ["dev", "test", "dev-group", "Dev.Group", "docs"],
    "group": ["dev", "test", "dev_group", "docs"],
}
SPELLINGS = {
    "os_name": ["os_name", "os.name"],
    "sys_platform": ["sys_platform", "sys.platform"],
    "platform_version": ["platform_version", "platform.version"],
    "platform_machine": ["platform_machine", "platform.machine"],
    "platform_python_implementation": [
        "platform_python_implementation",
        "platform.python_implementation",
        "python_implementation",
    ],
}
VERSION_OPS = ["==", "!=", "<", "<=", ">", ">=", "~=", "===", "in", "not in"]
STRING_OPS = ["==", "!=", "<", "<=", ">", ">=", "in", "not in"]
RARE_OPS = ["~=", "==="]  # packaging raises on these for strings; they go to the error set


def _ws(rng: random.Random, before: str, after: str, word: bool) -> str:
    """Whitespace between two tokens; a word operator next to a name needs some."""
    options = ["", "", " ", " ", "  ", "\t"]
    choice = rng.choice(options)
    if word and not choice and (before[-1:].isalnum() or after[:1].isalnum()):
        choice = " "
    return choice


def _atom(rng: random.Random) -> tuple[str, str]:
    """One comparison: (our text, packaging's text)."""
    var = rng.choice(list(VALUES))
    value = rng.choice(VALUES[var])
    quote = rng.choice("'\"")
    literal = quote + value + quote
    spelling = rng.choice(SPELLINGS.get(var, [var]))
    if var in ("extras", "dependency_groups"):
        op = rng.choice(["in", "not in"])
        text = literal + " " + op.replace(" ", rng.choice([" ", "  ", "\t"])) + " " + spelling
        return text, text
    if var == "group":
        op = rng.choice(["==", "!="])
        reverse = rng.random() < 0.3
        ours = f"{literal} {op} group" if reverse else f"group {op} {literal}"
        member = "in" if op == "==" else "not in"
        return ours, f"{literal} {member} dependency_groups"
    if var in ("python_version", "python_full_version", "implementation_version"):
        op = rng.choice(VERSION_OPS)
    else:
        op = rng.choice(STRING_OPS if rng.random() < 0.98 else RARE_OPS)
    if op == "not in":
        op = "not" + rng.choice([" ", "  ", "\t"]) + "in"
    left, right = spelling, literal
    if rng.random() < 0.3:
        left, right = right, left
    word = op[0].isalpha()
    text = left + _ws(rng, left, op, word) + op + _ws(rng, op, right, word) + right
    return text, text


def _expression(rng: random.Random, depth: int) -> tuple[str, str]:
    items = []
    for _ in range(rng.choice([1, 1, 2, 2, 3, 4])):
        if depth > 0 and rng.random() < 0.3:
            inner = _expression(rng, depth - 1)
            pad = rng.choice(["", " "])
            items.append(tuple("(" + pad + part + pad + ")" for part in inner))
        else:
            items.append(_atom(rng))
    ours, theirs = items[0]
    for item in items[1:]:
        op = rng.choice(["and", "or"])
        left = _ws(rng, ours, op, True)
        right = _ws(rng, op, item[0], True)
        ours += left + op + right + item[0]
        theirs += left + op + right + item[1]
    return ours, theirs


def _random_markers(seed: int, count: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(markers packaging evaluates everywhere, markers packaging raises on somewhere)."""
    rng = random.Random(seed)
    good, raising = [], []
    for _ in range(count):
        ours, theirs = _expression(rng, depth=3)
        if _reference(theirs, [({**_any_env(), "python_version": "3.11"}, [], [])]) is None:
            raising.append((ours, theirs))
        else:
            good.append((ours, theirs))
    return good, raising


def _any_env() -> dict:
    return {
        "implementation_name": "cpython",
        "implementation_version": "3.11.0",
        "os_name": "posix",
        "platform_machine": "x86_64",
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_system": "Linux",
        "platform_version": "",
        "python_full_version": "3.11.0",
        "python_version": "3.11",
        "sys_platform": "linux",
    }


def _random_good(seed: int, count: int, contexts) -> list[tuple[str, str]]:
    good, _ = _random_markers(seed, count)
    # Markers that raise only for some environments belong to the error test.
    return [pair for pair in good if _reference(pair[1], contexts) is not None]


def test_random_markers_match_packaging(batch, contexts):
    good = _random_good(SEED, 900, contexts)
    assert len(good) > 700
    true = _compare(batch, good, contexts)
    total = len(good) * len(contexts)
    assert total // 10 < true < total - total // 10


@pytest.mark.parametrize("mode", ["text", "json"])
def test_uncompiled_and_json_forms_agree(batch, contexts, mode):
    good = _random_good(SEED + 1, 150, contexts)
    assert len(good) > 100
    _compare(batch, good, contexts[::7], mode=mode)


def _raising() -> list[tuple[str, str]]:
    _, raising = _random_markers(SEED + 2, 600)
    fixed = ["sys_platform ~= 'linux'", "os_name === 'nt'", "python_version ~= 'x'"]
    fixed += ["'x' ~= os_name", "extra ~= 'x'", "platform_machine ~= '64'"]
    return raising + [(text, text) for text in fixed]


def test_markers_packaging_rejects_at_evaluation_fail(markers, contexts):
    raising = _raising()
    assert len(raising) > 10
    for text, reference_text in raising:
        assert _reference(reference_text, [(_any_env(), [], [])]) is None, reference_text
        with pytest.raises(StarlarkFail, match="cannot evaluate marker|invalid marker") as info:
            markers.evaluate_marker(text, _any_env())
        assert "marker" in str(info.value)


def _real_world() -> list[str]:
    lines = (TESTDATA / "real_world.txt").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def test_real_world_markers_match_packaging(batch, contexts):
    texts = _real_world()
    assert len(texts) > 40
    _compare(batch, [(t, t) for t in texts], contexts)


# ---- markers from real uv locks


def _lock_markers(data) -> list[str]:
    """Every marker string of a parsed uv.lock (dependencies, forks, metadata)."""
    found = []
    stack = [data]
    for _ in range(1_000_000):
        if not stack:
            break
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "marker" and isinstance(value, str):
                    found.append(value)
                elif key.endswith("-markers") and isinstance(value, list):
                    found.extend(v for v in value if isinstance(v, str))
                else:
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
    return sorted(set(found))


LOCK_PROJECTS = [
    dict(requires_python=">=3.9"),  # the standard packages: markerpkg, the splitpkg fork
    dict(
        dependencies=["splitpkg", "markerpkg; python_version >= '3.10'"],
        optional_dependencies={"one": ["splitpkg==1.0.0"], "two": ["splitpkg==2.0.0"]},
        extra_uv_config={"conflicts": [[{"extra": "one"}, {"extra": "two"}]]},
        requires_python=">=3.9",
    ),
    dict(
        dependencies=["splitpkg", "markerpkg[cli]; os_name != 'nt'"],
        groups={"dev": ["splitpkg==1.0.0"], "test": ["splitpkg==2.0.0", "purepkg"]},
        extra_uv_config={"conflicts": [[{"group": "dev"}, {"group": "test"}]]},
        requires_python=">=3.9",
    ),
    dict(
        dependencies=[
            "splitpkg==1.0.0; platform_machine == 'x86_64'",
            "splitpkg==2.0.0; platform_machine == 'aarch64'",
            "purepkg; python_full_version >= '3.10.2' and platform_system != 'Windows'",
            "platpkg; implementation_name == 'cpython' and sys_platform == 'darwin'",
        ],
        optional_dependencies={"cli": ["markerpkg[cli]; python_version < '3.13'"]},
        requires_python=">=3.9",
    ),
]


_LOCK_TEXTS: dict[int, list[str]] = {}


def _lock_texts(session_lock_project) -> list[str]:
    """Every marker of the LOCK_PROJECTS locks (locked once per session)."""
    key = id(session_lock_project)
    if key not in _LOCK_TEXTS:
        texts = set()
        for project in LOCK_PROJECTS:
            lock = session_lock_project(**project)
            texts.update(_lock_markers(tomllib.loads(lock.read_text(encoding="utf-8"))))
        _LOCK_TEXTS[key] = sorted(texts)
    return _LOCK_TEXTS[key]


def _lock_contexts() -> list:
    # The conflict encodings are plain extras: activate each one in turn.
    names = [[], ["cli"], ["extra-3-app-one"], ["extra-3-app-two"]]
    names += [["group-3-app-dev"], ["group-3-app-test"]]
    return [(python_env(*t), n, [], t) for t in GRID_TARGETS for n in names]


def test_every_marker_of_real_uv_locks_matches_packaging(batch, session_lock_project):
    texts = _lock_texts(session_lock_project)
    assert len(texts) >= 15
    assert any("extra-3-app-one" in t for t in texts)
    assert any("group-3-app-dev" in t for t in texts)
    _compare(batch, [(t, t) for t in texts], _lock_contexts())


# ---- semantics beyond packaging's single `extra`


EXTRAS_AND_GROUPS = [
    ("extra == 'a' and extra == 'b'", ["a", "b"], [], True),
    ("extra != 'a'", ["a", "b"], [], False),
    ("extra != 'c'", ["a", "b"], [], True),
    ("extra == 'Foo.Bar'", ["foo_bar"], [], True),
    ("'foo-bar' == extra", ["FOO__BAR"], [], True),
    ("extra in 'xa'", ["a"], [], True),
    ("extra not in 'xa'", ["a", "b"], [], False),
    ("extra in 'abc'", [], [], True),  # no extras: extra is "" (packaging's default)
    ("extra == ''", [], [], True),
    ("group == 'dev'", [], ["dev"], True),
    ("group == 'Dev_Group'", [], ["dev.group"], True),
    ("group != 'dev'", [], [], True),
    ("group != 'dev'", [], ["docs", "dev"], False),
    ("'dev' == group", [], ["dev"], True),
    ("extra == 'group-5-app-dev'", ["group-5-app-dev"], [], True),
    ("extra == 'group-5-app-dev'", [], ["dev"], False),
    ("'x' in extras and 'dev' not in dependency_groups", ["X"], ["test"], True),
    ("", [], [], True),
    ("  ", [], [], True),
]


@pytest.mark.parametrize(("text", "extras", "groups", "expected"), EXTRAS_AND_GROUPS)
def test_extras_and_groups(markers, text, extras, groups, expected):
    env = markers.marker_env("linux", "x86_64", "3.11")
    assert markers.evaluate_marker(text, env, extras, groups) is expected


FORM_TEXT = "python_version >= '3.9' and (os_name == 'nt' or extra == 'X')"


def test_parse_marker_form(markers):
    compiled = markers.parse_marker(FORM_TEXT)
    assert compiled["text"] == "python_version >= '3.9' and (os_name == 'nt' or extra == 'X')"
    rpn = compiled["rpn"]
    assert [item if isinstance(item, str) else item["var"] for item in rpn] == [
        "python_version",
        "os_name",
        "extra",
        "or",
        "and",
    ]
    assert rpn[2]["value"] == "x"
    assert rpn[0]["spec"]["op"] == ">=" and rpn[1]["spec"] is None
    assert markers.parse_marker("") == {"rpn": [], "text": ""}


# ---- errors

INVALID_MARKERS = [
    "os_name == 'nt' and",
    "(os_name == 'nt'",
    "os_name == 'nt')",
    "os_name = 'nt'",
    "os_name 'nt'",
    "os_name == nt",
    "os_name not 'nt'",
    "os_name notin 'nt'",
    "os_name == 'nt' && sys_platform == 'linux'",
    "platform.release == '1'",
    "Python_Version == '3'",
    "os_name == 'nt' OR os_name == 'posix'",
    "()",
    "os_name == 'nt",
    "os_name == 'nt' os_name == 'posix'",
    "extra",
    "not os_name == 'nt'",
    "os_name == 'nt'\nor os_name == 'posix'",
    "os_name == 'a' and and os_name == 'b'",
    "python_versionin '3'",
    "os_name ! = 'nt'",
]


@pytest.mark.parametrize("text", INVALID_MARKERS)
def test_invalid_markers_fail_naming_the_text(markers, text):
    with pytest.raises(InvalidMarker):
        Marker(text)
    with pytest.raises(StarlarkFail, match="invalid marker") as info:
        markers.parse_marker(text)
    assert text.split("\n")[0][:12] in str(info.value)


MUTATION_PIECES = ["(", ")", "and", "or", "not", "in", "==", "=", "!", "<", "'", '"', " ", "\t"]
MUTATION_PIECES += ["os_name", "'x'", "extra", ".", "_", "~", "\\", "\n"]
# Why we may reject a marker packaging parses (see test_markers_we_reject_on_purpose).
ON_PURPOSE = [
    "two variables",
    "two strings",
    "can only be used as",
    "backslashes",
    "cannot be",
    "is not a PEP 440 version comparison",
]


def _mutate(rng: random.Random, text: str) -> str:
    for _ in range(rng.randint(1, 2)):
        position = rng.randint(0, len(text))
        roll = rng.random()
        if roll < 0.4:
            text = text[:position] + rng.choice(MUTATION_PIECES) + text[position:]
        elif roll < 0.8:
            text = text[:position] + text[position + rng.randint(1, 4) :]
        else:
            text = text.replace(" ", "", 1)
    return text


def _mutated() -> list[str]:
    rng = random.Random(SEED + 4)
    texts = []
    for _ in range(1700):
        text = _mutate(rng, _expression(rng, depth=2)[0])
        if "group" not in text:  # not PEP 508; packaging cannot parse it
            texts.append(text)
    return texts


# packaging's literal_eval warns about escapes such as "\M" in mutated strings.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_mutated_markers_are_rejected_like_packaging(markers):
    outcomes = {}
    for text in _mutated():
        try:
            Marker(text)
            expected = True
        except InvalidMarker:
            expected = False
        try:
            markers.parse_marker(text)
            got, message = True, ""
        except StarlarkFail as err:
            got, message = False, str(err)
        outcomes[expected, got] = outcomes.get((expected, got), 0) + 1
        if not expected:
            assert not got, f"accepted invalid marker {text!r}"
        elif not got:
            assert any(reason in message for reason in ON_PURPOSE), (text, message)
    assert outcomes.get((False, False), 0) > 500
    assert outcomes.get((True, True), 0) > 200


ON_PURPOSE_CASES = [
    ("os_name == sys_platform", "two variables"),
    ("'a' == 'b'", "two strings"),
    ("extras == 'x'", "can only be used as"),
    ("'x' == dependency_groups", "can only be used as"),
    ("os_name == 'a\\\\b'", "backslashes"),
    ("extra ~= 'x'", "cannot be compared"),
    ("group === 'dev'", "cannot be compared"),
]


@pytest.mark.parametrize(("text", "reason"), ON_PURPOSE_CASES)
def test_markers_we_reject_on_purpose(markers, text, reason):
    with pytest.raises(StarlarkFail, match=reason) as info:
        markers.parse_marker(text)
    assert "invalid marker" in str(info.value)


def test_missing_environment_value_fails(markers):
    with pytest.raises(StarlarkFail, match='has no "platform_release"') as info:
        markers.evaluate_marker("platform_release >= '5'", {"python_version": "3.11"})
    assert "platform_release >= '5'" in str(info.value)


def starlark_calls(calls, request) -> None:
    """Every Starlark call of this module, for the session's Bazel build to answer."""
    markers = calls.load(MARKERS)
    batch = calls.load_source(BATCH, BATCH_SOURCE)
    targets = [(os, cpu, "3.11") for os, cpu in TARGETS] + [("linux", "x86_64", "3.13.2")]
    batch.make_envs(targets)
    batch.make_envs(GRID_TARGETS)
    markers.marker_env("linux", "aarch64", "3.10", implementation="pypy")
    for args, _ in BAD_ENV_ARGS:
        markers.marker_env(*args)
    contexts = [(python_env(*t), x, g, t) for t in GRID_TARGETS for x, g in NAME_SETS]

    def compare(pairs, contexts, mode="compiled"):
        batch.evaluate_all([p[0] for p in pairs], _starlark_contexts(contexts), mode)

    compare(_random_good(SEED, 900, contexts), contexts)
    for mode in ("text", "json"):
        compare(_random_good(SEED + 1, 150, contexts), contexts[::7], mode)
    for text, _ in _raising():
        markers.evaluate_marker(text, _any_env())
    compare([(t, t) for t in _real_world()], contexts)
    texts = _lock_texts(request.getfixturevalue("session_lock_project"))
    compare([(t, t) for t in texts], _lock_contexts())
    env = python_env("linux", "x86_64", "3.11")
    markers.marker_env("linux", "x86_64", "3.11")
    for text, extras, groups, _ in EXTRAS_AND_GROUPS:
        markers.evaluate_marker(text, env, extras, groups)
    markers.parse_marker(FORM_TEXT)
    markers.parse_marker("")
    for text in INVALID_MARKERS + _mutated() + [text for text, _ in ON_PURPOSE_CASES]:
        markers.parse_marker(text)
    markers.evaluate_marker("platform_release >= '5'", {"python_version": "3.11"})
