"""The lock validation pass (lock.bzl) on the probes of issue 10, and starlark_quote.bzl
in real Bazel 4.2.3 (``starlark_calls`` below declares every call; the session's one Bazel
build answers them, tests/support/starlark_bazel.py).

Each probe is a hand-written lock that was dangerous or confusing on main: it must now be
refused with `<lock>:LINE:COL: package ...: what is wrong; the fix`, the line pointing
at the bad entry.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.bazel import BazelWorkspace
from tests.support.starlark_bazel import StarlarkFail

REPO_ROOT = Path(__file__).resolve().parents[1]
SHA = "ab" * 32
URL = "http://127.0.0.1:9/files"
LOCK = "//uv/private:lock.bzl"
QUOTE = "//uv/private:starlark_quote.bzl"


@pytest.fixture(scope="module")
def lock(starlark_bazel):
    return starlark_bazel.load(LOCK)


@pytest.fixture(scope="module")
def quote(starlark_bazel):
    return starlark_bazel.load(QUOTE)


def _lock(name='"a"', version='"1.0"', wheel=None, extra_lines=""):
    wheel = wheel or f'{{ url = "{URL}/a-1.0-py3-none-any.whl", hash = "sha256:{SHA}", size = 1 }}'
    return (
        'version = 1\nrevision = 3\nrequires-python = ">=3.11"\n\n'
        "[[package]]\n"
        f"name = {name}\n"
        f"version = {version}\n"
        'source = { registry = "http://127.0.0.1:9/simple" }\n'
        f"{extra_lines}"
        "wheels = [\n"
        f"    {wheel},\n"
        "]\n"
    )


PROBES = [
    # A version that would close a comment line and run its own Starlark.
    (
        "version",
        _lock(version='"1.0\\nfail(\\"x\\")\\n#"'),
        7,
        r"package 'a': version \"1\.0\\nfail",
    ),
    # Names that would overwrite the hub's own packages, nest, escape or break labels.
    ("_envs", _lock(name='"_envs"'), 6, r"package #1: name '_envs' is not a valid name"),
    ("nested", _lock(name='"a/b"'), 6, r"name 'a/b' is not a valid name"),
    ("empty", _lock(name='""'), 6, r"name '' is not a valid name"),
    ("absolute", _lock(name='"/abs"'), 6, r"name '/abs' is not a valid name"),
    ("space", _lock(name='"x y"'), 6, r"name 'x y' is not a valid name"),
    ("quote", _lock(name='"a\\"b"'), 6, r'name "a\\"b" is not a valid name'),
    ("control", _lock(name='"a\\u0001b"'), 6, r'name "a\\001b" is not a valid name'),
    # Wrong types: clear errors instead of "Object of type int has no attribute".
    (
        "url int",
        _lock(wheel=f'{{ url = 1, hash = "sha256:{SHA}" }}'),
        10,
        r"wheel url must be a string, got int 1",
    ),
    (
        "hash int",
        _lock(wheel=f'{{ url = "{URL}/a-1.0-py3-none-any.whl", hash = 5 }}'),
        10,
        r"hash must be a string",
    ),
    (
        "marker int",
        _lock(extra_lines='dependencies = [\n    { name = "b", marker = 3 },\n]\n'),
        10,
        r"dependency 'b': marker must be a string, got int 3",
    ),
    (
        "extra int",
        _lock(extra_lines='dependencies = [\n    { name = "b", extra = [3] },\n]\n'),
        10,
        r"extra of dependency 'b' must be a string, got int 3",
    ),
    # 64 characters that are not hex used to pass until the downloader.
    (
        "hash not hex",
        _lock(wheel=f'{{ url = "{URL}/a-1.0-py3-none-any.whl", hash = "sha256:{"zz" * 32}" }}'),
        10,
        r"wheel hash 'sha256:zz.*' is not \"sha256:<64 hex digits>\"",
    ),
    # A wheel of another package or version would install the wrong file.
    (
        "wheel of another version",
        _lock(wheel=f'{{ url = "{URL}/a-1.0.1-py3-none-any.whl", hash = "sha256:{SHA}" }}'),
        10,
        r"wheel file name 'a-1\.0\.1-py3-none-any\.whl' is not of version 1\.0",
    ),
    (
        "wheel of another package",
        _lock(wheel=f'{{ url = "{URL}/b-1.0-py3-none-any.whl", hash = "sha256:{SHA}" }}'),
        10,
        r"is not a wheel of package 'a'",
    ),
    (
        "url scheme",
        _lock(wheel=f'{{ url = "ftp://h/a-1.0-py3-none-any.whl", hash = "sha256:{SHA}" }}'),
        10,
        r"https://",
    ),
    (
        "url newline",
        _lock(wheel=f'{{ url = "{URL}/a-1.0-py3-none-any.whl\\n", hash = "sha256:{SHA}" }}'),
        10,
        r"holds a character a URL cannot",
    ),
    (
        "size",
        _lock(
            wheel=f'{{ url = "{URL}/a-1.0-py3-none-any.whl", hash = "sha256:{SHA}", size = -1 }}'
        ),
        10,
        r"size must be a non-negative integer",
    ),
    (
        "junk marker",
        _lock(
            extra_lines="dependencies = [\n"
            '    { name = "b", marker = "sys_platform orand \'x\'" },\n'
            "]\n"
        ),
        10,
        r"dependency 'b': invalid marker",
    ),
    (
        "extra name",
        _lock(extra_lines='dependencies = [\n    { name = "b", extra = ["a b"] },\n]\n'),
        10,
        r"extra of dependency 'b' 'a b' is not a valid name",
    ),
]


@pytest.mark.parametrize(("what", "text", "line", "message"), PROBES, ids=[p[0] for p in PROBES])
def test_probe_is_refused_with_file_line_and_package(lock, what, text, line, message):
    with pytest.raises(StarlarkFail) as err:
        lock.parse_lock(text, "//:uv.lock")
    first = str(err.value).splitlines()[0]
    assert re.match(rf"//:uv\.lock:{line}:\d+: package ", first), first
    assert re.search(message, first), first
    assert "uv lock" in first  # the fix


VALID_WHEEL = f'{{ url = "{URL}/A_b_C-1.0-py3-none-any.whl", hash = "sha256:{SHA}", size = 1 }}'
VALID = _lock(name='"A_b.C"', wheel=VALID_WHEEL)
UPPER = _lock(wheel=f'{{ url = "{URL}/a-1.0-py3-none-any.whl", hash = "sha256:{SHA.upper()}" }}')


def _bad_element() -> str:
    good = f'{{ url = "{URL}/a-1.0-py3-none-any.whl", hash = "sha256:{SHA}" }}'
    bad = f'{{ url = "{URL}/a-1.0-py2-none-any.whl", hash = "sha256:{SHA}", size = "x" }}'
    other = good.replace("py3-", "cp311-")
    return _lock(wheel=f"{good},\n    {other},\n    {bad}")


def test_a_valid_lock_passes(lock):
    model = lock.parse_lock(VALID, "//:uv.lock")
    assert model["packages"][0]["name"] == "a-b-c"
    assert model["packages"][0]["wheels"][0]["sha256"] == SHA


def test_sha256_is_lower_cased(lock):
    assert lock.parse_lock(UPPER, "//:uv.lock")["packages"][0]["wheels"][0]["sha256"] == SHA


def test_element_position_points_at_the_bad_wheel(lock):
    text = _bad_element()
    with pytest.raises(StarlarkFail, match=r"//:uv\.lock:12:5: package 'a' 1\.0: wheel size"):
        lock.parse_lock(text, "//:uv.lock")


# Every character the quoter may meet: all of ASCII (controls included), Latin-1,
# other scripts, emoji, and Starlark/shell syntax.
QUOTE_SAMPLES = [
    "".join(chr(c) for c in range(128)),
    "é中😀\u2028\u00a0\u0085",
    '")\nfail("x")\n#',
    "\\x01\\u0001\\001",
    "${HOME} $(rm -rf /) `id`",
    "\x00\x010",  # an octal escape followed by a digit
]


# quote_each's rows: all plain (its one-check path), and each with a value that is not.
QUOTE_EACH_ROWS = [
    ["pypi__a_1_0_py3_none_any_whl", "a-1.0-py3-none-any.whl", "https://h/a.whl", "", "ab" * 32],
    ["a", '"quoted"', "b"],
    ["plain", *QUOTE_SAMPLES],
]


def test_quote_each_is_quote_of_each_value(quote):
    for row in QUOTE_EACH_ROWS:
        assert list(quote.quote_each(row)) == [quote.quote(v) for v in row]


def test_quoted_strings_read_back_exactly_in_bazel_4(quote, tmp_path, bazel_caches):
    ws = BazelWorkspace(tmp_path / "ws", tmp_path / "output_base", bazel_caches)
    values = "".join(f"    {quote.quote(s)},\n" for s in QUOTE_SAMPLES)
    # The expected values travel as ASCII-only JSON. Bazel 4.2.3 holds text as Latin-1
    # characters, one per byte of the file's UTF-8: spell each byte as \u00XX.
    as_bazel = ['"' + "".join(f"\\u{b:04x}" for b in s.encode()) + '"' for s in QUOTE_SAMPLES]
    expected = quote.quote("[" + ",".join(as_bazel) + "]")
    ws.write("values.bzl", f"VALUES = [\n{values}]\nEXPECTED = json.decode({expected})\n")
    ws.write(
        "BUILD.bazel",
        'load(":values.bzl", "EXPECTED", "VALUES")\n\n'
        "[fail('value %d reads back differently' % i)\n"
        " for i in range(len(VALUES)) if VALUES[i] != EXPECTED[i]]\n\n"
        'filegroup(name = "ok")\n',
    )
    ws.write("bad/values.bzl", f"VALUES = [{quote.quote('a')}]\nEXPECTED = [{quote.quote('b')}]\n")
    ws.write(
        "bad/BUILD.bazel",
        'load(":values.bzl", "EXPECTED", "VALUES")\n\n'
        "[fail('value %d reads back differently' % i)\n"
        " for i in range(len(VALUES)) if VALUES[i] != EXPECTED[i]]\n",
    )
    try:
        assert ws.run("query", "//:ok").stdout.strip() == "//:ok"
        # The check can fail: a different value is caught.
        bad = ws.run("query", "//bad:all", check=False)
        assert bad.returncode != 0 and "value 0 reads back differently" in bad.stderr
    finally:
        ws.close()


def starlark_calls(calls, request) -> None:
    """Every Starlark call of this module, for the session's Bazel build to answer."""
    lock = calls.load(LOCK)
    for text in [p[1] for p in PROBES] + [VALID, UPPER, _bad_element()]:
        lock.parse_lock(text, "//:uv.lock")
    quote = calls.load(QUOTE).quote
    for sample in QUOTE_SAMPLES + ["a", "b"]:
        quote(sample)
    for row in QUOTE_EACH_ROWS:
        calls.load(QUOTE).quote_each(row)
        for value in row:
            quote(value)
    as_bazel = ['"' + "".join(f"\\u{b:04x}" for b in s.encode()) + '"' for s in QUOTE_SAMPLES]
    quote("[" + ",".join(as_bazel) + "]")
