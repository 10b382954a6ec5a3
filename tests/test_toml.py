"""Tests of the Starlark TOML decoder, uv/private/toml.bzl.

The decoder is compared with Python's ``tomllib`` on real ``uv.lock`` files, on a curated
document holding every construct, and on random documents from ``tests/support/tomlgen.py``.
Malformed documents must fail with ``file:line:column`` and a message that says what was
expected, and only where ``tomllib`` rejects them too. The decoder runs inside real Bazel
4.2.3, where strings are Latin-1 byte strings: ``starlark_calls`` below declares every call
and the session's one Bazel build answers them (tests/support/starlark_bazel.py); one more
test decodes files read by a repository rule.
"""

from __future__ import annotations

import datetime
import json
import random
import re
import shutil
import tomllib
from pathlib import Path

import pytest

from tests.support.index_fixtures import ALL_DEPENDENCIES, BUILD_GROUP, SPLIT_DEPENDENCIES
from tests.support.starlark_bazel import StarlarkFail
from tests.support.tomlgen import TomlGen, mutate

REPO_ROOT = Path(__file__).resolve().parents[1]
BZL = REPO_ROOT / "uv" / "private" / "toml.bzl"
KITCHEN_SINK = REPO_ROOT / "tests" / "testdata" / "toml" / "kitchen_sink.toml"


TOML = "//uv/private:toml.bzl"
PROBE = "//tests:toml_float_probe.bzl"


@pytest.fixture(scope="module")
def decode(starlark_bazel):
    """``decode(text, filename=...)``: the real decode_toml's answer in Bazel 4.2.3."""
    return starlark_bazel.load(TOML).decode_toml


def assert_same(got, want, path="$", ordered=True):
    """Deep equality that also tells 1 from 1.0 and True, and date-times from their text.

    tomllib decodes date-times to ``datetime`` objects; the decoder keeps their TOML text,
    which must decode (with tomllib) to the same object. ``ordered``: keys must come in
    the document's order (not after Bazel's json.encode, which sorts them).
    """
    if isinstance(want, datetime.date | datetime.time):
        assert isinstance(got, str), f"{path}: expected the text of {want!r}, got {got!r}"
        assert tomllib.loads(f"v = {got}")["v"] == want, f"{path}: {got!r} is not {want!r}"
        return
    assert type(got) is type(want), f"{path}: got {got!r}, want {want!r}"
    if isinstance(want, dict):
        keys, want_keys = (list(got), list(want)) if ordered else (sorted(got), sorted(want))
        assert keys == want_keys, f"{path}: keys {keys} != {want_keys}"
        for k in want:
            assert_same(got[k], want[k], f"{path}.{k}", ordered)
    elif isinstance(want, list):
        assert len(got) == len(want), f"{path}: {len(got)} items, want {len(want)}"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_same(g, w, f"{path}[{i}]", ordered)
    else:
        assert got == want, f"{path}: got {got!r}, want {want!r}"


# -- real uv.lock files ----------------------------------------------------------------------

LOCK_SHAPES = {
    "all-packages-and-build-group": dict(dependencies=ALL_DEPENDENCIES, groups=BUILD_GROUP),
    "extras": dict(
        dependencies=["purepkg>=1.0"],
        optional_dependencies={"cli": ["markerpkg[cli]==1.0.0"], "native": ["nativepkg==1.0.0"]},
    ),
    "editable-root": dict(dependencies=ALL_DEPENDENCIES, groups=BUILD_GROUP, package=True),
    "forked-resolution": dict(dependencies=SPLIT_DEPENDENCIES),
}


_LOCK_TEXTS: dict[tuple[int, str], str] = {}


def _lock_text(session_lock_project, shape: str) -> str:
    """The uv.lock of one LOCK_SHAPES entry (locked once per session)."""
    key = (id(session_lock_project), shape)
    if key not in _LOCK_TEXTS:
        _LOCK_TEXTS[key] = session_lock_project(**LOCK_SHAPES[shape]).read_text()
    return _LOCK_TEXTS[key]


@pytest.mark.parametrize("shape", LOCK_SHAPES)
def test_real_uv_locks_decode_like_tomllib(session_lock_project, decode, shape):
    text = _lock_text(session_lock_project, shape)
    want = tomllib.loads(text)
    assert want["package"], "the lock should list packages"
    if shape == "forked-resolution":
        assert "resolution-markers" in want, "the lock should fork"
    assert_same(decode(text, filename="uv.lock"), want)


# -- curated and generated documents ---------------------------------------------------------


def test_kitchen_sink_decodes_like_tomllib(decode):
    text = KITCHEN_SINK.read_text(encoding="utf-8")
    got = decode(text)
    assert_same(got, tomllib.loads(text))
    assert got["strings"]["raw"] == got["strings"]["escaped"] == "café 中文 😀 𝄞"


def test_date_times_are_returned_as_their_text(decode):
    text = KITCHEN_SINK.read_text(encoding="utf-8")
    dates = decode(text)["dates"]
    assert dates["odt4"] == "1979-05-27 07:32:00Z"
    assert dates["lt2"] == "00:32:00.999999"
    assert dates["in_array"] == ["1979-05-27", "07:32:00", "2000-02-29t12:00:00z"]
    assert dates["in_table"] == {"when": "1979-05-27 07:32:00"}


GENERATED_CHUNKS = 8
GENERATED_PER_CHUNK = 50


@pytest.mark.parametrize("chunk", range(GENERATED_CHUNKS))
def test_generated_documents_decode_like_tomllib(decode, chunk):
    for seed in range(chunk * GENERATED_PER_CHUNK, (chunk + 1) * GENERATED_PER_CHUNK):
        text = TomlGen(seed).document()
        want = tomllib.loads(text)  # the generator must only write valid TOML
        try:
            got = decode(text)
        except StarlarkFail as err:
            pytest.fail(f"seed {seed}: {err.message}\n{text}")
        assert_same(got, want, f"seed {seed}")


MUTATED_CHUNKS = 4
MUTATED_PER_CHUNK = 100


@pytest.mark.parametrize("chunk", range(MUTATED_CHUNKS))
def test_corrupted_documents_are_rejected_exactly_when_tomllib_rejects_them(decode, chunk):
    rng = random.Random(chunk)
    outcomes = {True: 0, False: 0}
    for seed in range(chunk * MUTATED_PER_CHUNK, (chunk + 1) * MUTATED_PER_CHUNK):
        text = mutate(TomlGen(seed).document(), rng)
        try:
            want = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            with pytest.raises(StarlarkFail, match=r"^<string>:\d+:\d+: "):
                decode(text)
            outcomes[False] += 1
            continue
        try:
            got = decode(text)
        except StarlarkFail as err:
            if "is out of range" in err.message and "inf" in repr(want):
                continue  # the one documented difference: tomllib overflows to inf
            pytest.fail(f"seed {seed}: tomllib accepts, we reject: {err.message}\n{text!r}")
        assert_same(got, want, f"seed {seed}")
        outcomes[True] += 1
    assert outcomes[True] and outcomes[False], outcomes  # both kinds were exercised


def test_empty_and_comment_only_documents(decode):
    assert decode("") == {}
    assert decode("\n\n  # just a comment\n\t\n") == {}


FLOAT_PROBE = """
load("//uv/private:toml.bzl", "decode_toml")

def probe(text):
    v = decode_toml(text)["v"]
    return [type(v), str(v)]
"""


@pytest.fixture(scope="module")
def float_probe(starlark_bazel):
    return starlark_bazel.load_source(PROBE, FLOAT_PROBE).probe


SPECIAL_FLOATS = [
    ("inf", "inf"),
    ("+inf", "inf"),
    ("-inf", "-inf"),
    ("nan", "nan"),
    ("-nan", "nan"),
]


@pytest.mark.parametrize("literal, want", SPECIAL_FLOATS)
def test_special_floats(float_probe, literal, want):
    # Inspected in Starlark (where NaN == NaN). Bazel prints inf as "+inf".
    kind, text = float_probe(f"v = {literal}")
    assert (kind, text.lstrip("+")) == ("float", want)


OUT_OF_RANGE = "x = 1\nv = 1.5e309\n"


def test_float_out_of_double_range_fails_clearly(decode):
    # Python gives inf; Starlark's float() fails without a position, so we check first.
    with pytest.raises(StarlarkFail) as err:
        decode(OUT_OF_RANGE, filename="f.toml")
    assert err.value.message.startswith("f.toml:2:5: float ")
    assert "out of range" in err.value.message


# -- errors ----------------------------------------------------------------------------------

# (document, expected "line:column", words the message must contain). Every document is
# invalid TOML: tomllib must reject it too.
ERRORS = {
    "missing-equals": ('a = 1\nname {"x" = 1}\n', "2:6", ["expected '='", '"name"', "'{'"]),
    "missing-value": ("a =\n", "1:4", ["expected a value", "end of line"]),
    "unterminated-string": ('a = "abc\nb = 1\n', "1:5", ["unterminated string"]),
    "unterminated-literal": ("a = 'abc\n", "1:5", ["unterminated string"]),
    "unterminated-multiline": (
        'a = 1\nb = """abc\n\nc = 1\n',
        "2:5",
        ["unterminated multi-line string", "end of file"],
    ),
    "bad-escape": ('a = "x\\qy"\n', "1:7", ["invalid escape", "\\q"]),
    "escape-e-is-toml-1.1": ('a = "\\e"\n', "1:6", ["invalid escape", "\\e"]),
    "surrogate-escape": ('a = "\\uD800"\n', "1:6", ["invalid escape", "scalar"]),
    "short-unicode-escape": ('a = "\\u12"\n', "1:6", ["invalid escape", "4 hex digits"]),
    "unclosed-array": ("a = [1,\n  2,\n", "1:5", ["unclosed array", "']'"]),
    "unclosed-array-then-key": (
        "a = [1, 2\nb = 3\n",
        "2:1",
        ["expected ',' or ']'", "opened at line 1, column 5", "'b'"],
    ),
    "unclosed-inline-table": (
        "a = { b = 1\n",
        "1:12",
        ["newline inside inline table", "line 1, column 5"],
    ),
    "newline-in-inline-table": (
        "a = { b = 1,\n  c = 2 }\n",
        "1:13",
        ["newline inside inline table", "one line"],
    ),
    "trailing-comma-in-inline-table": ("a = { b = 1, }\n", "1:14", ["trailing comma", "'}'"]),
    "duplicate-key": ('a = 1\nb = 2\na = "x"\n', "3:1", ["duplicate key", '"a"']),
    "duplicate-key-in-table": ("[t]\na = 1\na = 2\n", "3:1", ["duplicate key", '"a"', "[t]"]),
    "duplicate-key-in-inline-table": ("a = { b = 1, b = 2 }\n", "1:14", ["duplicate key", '"b"']),
    "redefined-table": ("[a]\nx = 1\n\n[a]\ny = 2\n", "4:2", ["[a]", "already defined at line 1"]),
    "redefined-table-by-dotted-keys": (
        "[fruit]\napple.color = 'red'\n[fruit.apple]\n",
        "3:2",
        ["[fruit.apple]", "already defined at line 2"],
    ),
    "dotted-keys-into-header-table": (
        "[a.b]\nx = 1\n[a]\nb.y = 2\n",
        "4:1",
        ["dotted keys", "[a.b]", "line 1"],
    ),
    "key-redefined-as-table": (
        "a = 1\n[a.b]\n",
        "2:2",
        ["cannot define table [a.b]", '"a"', "already defined as a value"],
    ),
    "inline-table-extended-by-header": (
        "a = { b = 1 }\n[a]\n",
        "2:2",
        ["cannot define table [a]", "inline table or array", "line 1"],
    ),
    "inline-table-extended-by-dotted-key": (
        "a = { b = 1 }\na.c = 2\n",
        "2:1",
        ['"a.c"', "inline table or array", "line 1"],
    ),
    "static-array-then-array-of-tables": (
        "a = []\n[[a]]\n",
        "2:3",
        ["cannot define array of tables [[a]]", "line 1"],
    ),
    "table-then-array-of-tables": (
        "[a]\n[[a]]\n",
        "2:3",
        ["cannot define array of tables [[a]]", "already defined as a table"],
    ),
    "invalid-bare-key": ("ké = 1\n", "1:2", ["invalid character 'é' in bare key", '"k"']),
    "empty-bare-key": ("= 1\n", "1:1", ["expected a key", "'='"]),
    "garbage-after-value": ("a = 1 2\n", "1:7", ["expected end of line", '"a"', "'2'"]),
    "garbage-after-string": ('a = "x"y\n', "1:8", ["expected end of line", "'y'"]),
    "garbage-after-header": ("[a] b\n", "1:5", ["expected end of line", "[a]", "'b'"]),
    "unclosed-header": ("[a\n", "1:3", ["expected ']'", '"a"', "end of line"]),
    "leading-zero": ("a = 012\n", "1:5", ["invalid number", '"012"', "leading zeros"]),
    "signed-hex": ("a = +0x1F\n", "1:5", ["invalid number", '"+0x1F"', "no sign"]),
    "double-underscore": ("a = 1__000\n", "1:5", ["invalid number", "'_' only between"]),
    "bad-float": ("a = 1.\n", "1:5", ["invalid number", '"1."']),
    "bad-value": ("a = yes\n", "1:5", ["expected a value", "'y'"]),
    "bad-special-float": ("a = info\n", "1:5", ["invalid value", '"info"']),
    "bad-date": ("a = 1979-02-30\n", "1:5", ["invalid date", '"1979-02-30"']),
    "control-character": ('a = "x\x01"\n', "1:7", ["control character U+0001"]),
    "lone-carriage-return": ("a = 1\rb = 2\n", "1:6", ["carriage return"]),
    "multiline-string-key": ('"""a""" = 1\n', "1:1", ["expected a key", "multi-line"]),
}


@pytest.mark.parametrize("case", ERRORS)
def test_malformed_documents_fail_with_position(decode, case):
    text, position, words = ERRORS[case]
    with pytest.raises(tomllib.TOMLDecodeError):
        tomllib.loads(text)
    with pytest.raises(StarlarkFail) as err:
        decode(text, filename="uv.lock")
    message = err.value.message
    assert message.startswith(f"uv.lock:{position}: "), message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


NO_FILENAME = "a = \n"


def test_default_filename_in_errors(decode):
    with pytest.raises(StarlarkFail) as err:
        decode(NO_FILENAME)
    assert err.value.message.startswith("<string>:1:5: ")


# -- Bazel constraints -----------------------------------------------------------------------


def test_source_avoids_what_bazel_4_lacks_or_forbids():
    source = BZL.read_text(encoding="utf-8")
    code = re.sub(r'""".*?"""', '""', source, flags=re.S)  # docstrings
    code = "\n".join(line.split("#")[0] for line in code.splitlines())
    for forbidden in [
        r"\bwhile\b",
        r"\blambda\b",
        r"\.removeprefix\(",
        r"\.removesuffix\(",
        r"\bset\(",
        r"\bchr\(",
        r"\bord\(",
        r"(?<![\w\"'])[fF][rR]?[\"']",  # f-strings
        r"^for\b",
        r"^if\b",
        r"\.startswith\([^)]*,",  # starlark-rust has no start argument
    ]:
        assert not re.search(forbidden, code, re.M), forbidden
    # Bazel rejects recursion at run time; starlark-pyo3 does not, so check statically.
    functions = re.split(r"^def ", source, flags=re.M)[1:]
    for function in functions:
        name = function.split("(")[0]
        body = function.split("\n", 1)[1]
        assert not re.search(rf"\b{name}\(", body), f"{name} calls itself"


# -- real Bazel 4.2.3 ------------------------------------------------------------------------

DECODE_BZL = """\
load("@rules_pyuv//uv/private:toml.bzl", "decode_toml")

def _decoded_impl(rctx):
    for src in rctx.attr.srcs:
        doc = decode_toml(rctx.read(src), filename = src.name)
        # Strings are Latin-1 byte strings in Bazel: write them back byte for byte.
        rctx.file(src.name + ".json", json.encode(doc), legacy_utf8 = False)
    rctx.file("BUILD.bazel", 'filegroup(name = "all", srcs = glob(["*.json"]))\\n')

decoded = repository_rule(
    implementation = _decoded_impl,
    attrs = {"srcs": attr.label_list(allow_files = True)},
)
"""

WORKSPACE_TAIL = """
load("//:decode.bzl", "decoded")

decoded(
    name = "decoded",
    srcs = ["//:uv.lock", "//:kitchen_sink.toml"],
)

decoded(
    name = "broken",
    srcs = ["//:broken.toml"],
)
"""


@pytest.mark.bazel
def test_decodes_in_real_bazel_4(bazel_workspace, lock_project):
    ws = bazel_workspace
    lock = lock_project(ALL_DEPENDENCIES, groups=BUILD_GROUP, package=True)
    shutil.copy(lock, ws.root / "uv.lock")
    shutil.copy(KITCHEN_SINK, ws.root / "kitchen_sink.toml")
    (ws.root / "broken.toml").write_text('[a]\nx = "café"\n\n[a]\n', encoding="utf-8")
    ws.write("BUILD.bazel", 'exports_files(glob(["*.lock", "*.toml"]))\n')
    ws.write("decode.bzl", DECODE_BZL)
    ws.append("WORKSPACE", WORKSPACE_TAIL)

    ws.run("build", "@decoded//:all")
    out = ws.output_base / "external" / "decoded"
    for name, path in [("uv.lock", lock), ("kitchen_sink.toml", KITCHEN_SINK)]:
        got = json.loads((out / f"{name}.json").read_bytes().decode("utf-8"))
        assert_same(got, tomllib.loads(path.read_text(encoding="utf-8")), name, ordered=False)

    proc = ws.run("build", "@broken//:all", check=False)
    assert proc.returncode != 0
    assert "broken.toml:4:2: table [a] is already defined at line 1" in proc.stderr


def starlark_calls(calls, request) -> None:
    """Every Starlark call of this module, for the session's Bazel build to answer."""
    decode = calls.load(TOML).decode_toml
    locks = request.getfixturevalue("session_lock_project")
    for shape in LOCK_SHAPES:
        decode(_lock_text(locks, shape), filename="uv.lock")
    kitchen_sink = KITCHEN_SINK.read_text(encoding="utf-8")
    decode(kitchen_sink)
    for seed in range(GENERATED_CHUNKS * GENERATED_PER_CHUNK):
        decode(TomlGen(seed).document())
    for chunk in range(MUTATED_CHUNKS):
        rng = random.Random(chunk)
        for seed in range(chunk * MUTATED_PER_CHUNK, (chunk + 1) * MUTATED_PER_CHUNK):
            decode(mutate(TomlGen(seed).document(), rng))
    decode("")
    decode("\n\n  # just a comment\n\t\n")
    probe = calls.load_source(PROBE, FLOAT_PROBE).probe
    for literal, _ in SPECIAL_FLOATS:
        probe(f"v = {literal}")
    decode(OUT_OF_RANGE, filename="f.toml")
    for text, _, _ in ERRORS.values():
        decode(text, filename="uv.lock")
    decode(NO_FILENAME)
