"""Differential tests of uv/private/lock_fast.bzl against the full TOML decoder.

``decode_uv_lock(text)`` must return exactly what ``decode_toml(text)`` returns (same
dicts, same key order, same values) or None, and None whenever ``decode_toml`` refuses the
text: the lock is untrusted input, the fast path may decline but never accept more. The
texts: real ``uv lock`` output from the local index fixture, the synthetic locks of
tools/bench_lock.py, the hostile-lock corpus of tests/test_lock_hostile.py, random TOML
documents, and real locks with one line mutated. ``parse_lock`` must also report a refused
field at the same ``uv.lock:LINE:COL`` whichever decoder read the lock.
"""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import pytest

from tests.support.starlark_env import StarlarkEnv, StarlarkFail
from tests.support.tomlgen import TomlGen, mutate
from tests.test_lock_hostile import CASES, SEED, generate
from tests.test_toml import LOCK_SHAPES, assert_same

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def env() -> StarlarkEnv:
    return StarlarkEnv(REPO_ROOT)


@pytest.fixture(scope="module")
def fast(env):
    return env.load("//uv/private:lock_fast.bzl").decode_uv_lock


@pytest.fixture(scope="module")
def full(env):
    return env.load("//uv/private:toml.bzl").decode_toml


@pytest.fixture(scope="module")
def real_locks(session_lock_project) -> dict[str, str]:
    return {
        shape: session_lock_project(**kwargs).read_text() for shape, kwargs in LOCK_SHAPES.items()
    }


def _full_or_none(full, text):
    try:
        return full(text, "uv.lock")
    except StarlarkFail:
        return None


def check(fast, full, text, *, must_decode=False):
    """Fast is None or identical to full; None when full refuses. Returns fast's result."""
    want = _full_or_none(full, text)
    got = fast(text)
    if want is None:
        assert got is None, f"the fast path accepted what decode_toml refuses:\n{text[:2000]}"
        return got
    if must_decode:
        assert got is not None, "the fast path should read uv's canonical output"
    if got is not None:
        assert_same(got, want)
    return got


def _bench_module():
    spec = importlib.util.spec_from_file_location(
        "bench_lock", REPO_ROOT / "tools" / "bench_lock.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_real_uv_locks_take_the_fast_path(fast, full, real_locks):
    for text in real_locks.values():
        check(fast, full, text, must_decode=True)


@pytest.mark.parametrize("seed", [0, 1])
def test_bench_locks_take_the_fast_path(fast, full, seed):
    text, _ = _bench_module().generate_lock(300, seed)
    check(fast, full, text, must_decode=True)
    check(fast, full, text + "# a trailing comment\n", must_decode=True)


def test_hostile_locks(fast, full):
    rng = random.Random(SEED)
    decoded = 0
    for i in range(CASES):
        if check(fast, full, generate(i, rng).text) is not None:
            decoded += 1
    # Many hold escapes or control characters, which the fast path leaves to decode_toml.
    assert decoded > CASES // 3, f"only {decoded} of {CASES} hostile locks took the fast path"


def test_random_documents_and_their_mutations(fast, full):
    rng = random.Random(7)
    for seed in range(150):
        text = TomlGen(seed).document()
        check(fast, full, text)
        check(fast, full, mutate(text, rng))


# Edits of one line: characters that change how a line is read, and canonical-looking
# pieces in the wrong place.
EDITS = list("\"' ,{}[]=#\\\t.0195-_+:ae\n") + [
    "\r",
    "\x00",
    "\x7f",
    "é",
    '""',
    " = ",
    ", ",
    "{ ",
    " }",
    "[[",
    "]]",
    "size = ",
    ", size = 01",
    ', size = "1"',
    ", size = -1",
    ', name = ""',
    ' = "x"',
    "true",
    "1.5",
    "1e3",
    "0x1f",
    "nan",
    "1979-05-27",
    '"""',
    "'''",
]


def _mutations(text: str, rng: random.Random, count: int):
    lines = text.split("\n")
    for _ in range(count):
        i = rng.randrange(len(lines))
        line = lines[i]
        op = rng.random()
        p = rng.randint(0, len(line))
        edit = rng.choice(EDITS)
        if op < 0.4:
            new = line[:p] + edit + line[p:]
        elif op < 0.7:
            new = line[:p] + edit + line[p + len(edit) :]
        elif op < 0.85:
            q = rng.randint(p, len(line))
            new = line[:p] + line[q:]
        else:
            # Repeat a line (duplicate keys, tables, headers) or move it.
            j = rng.randrange(len(lines))
            yield "\n".join(lines[: j + 1] + [line] + lines[j + 1 :])
            continue
        yield "\n".join(lines[:i] + [new] + lines[i + 1 :])


@pytest.mark.parametrize("shape", LOCK_SHAPES)
def test_mutated_lines_of_real_locks(fast, full, real_locks, shape):
    rng = random.Random(shape)
    accepted = refused = 0
    for text in _mutations(real_locks[shape], rng, 250):
        if _full_or_none(full, text) is None:
            refused += 1
        elif fast(text) is not None:
            accepted += 1
        check(fast, full, text)
    assert refused > 20 and accepted > 20, (refused, accepted)


def test_refusals_name_the_same_place_after_the_fast_path(env, fast, full, real_locks):
    """A field validation refuses: the fast path's lock reports the full decoder's position."""
    lock = env.load("//uv/private:lock.bzl")
    text = real_locks["extras"]
    bad = [
        text.replace('version = "1.0.0"', 'version = "1.0.0+bad!"', 1),
        text.replace('hash = "sha256:', 'hash = "md5:', 1),
        text.replace('{ name = "', '{ name = "Not Valid ', 1),
        text.replace("-py3-none-any.whl", "-py3-none-any.zip", 1),
        text.replace("\nrevision = ", '\nrevision = "', 1).replace(
            "\nrequires-python", '"\nrequires-python', 1
        ),
    ]
    for i, candidate in enumerate(bad):
        assert candidate != text, f"edit {i} changed nothing"
        assert fast(candidate) is not None, f"edit {i} should stay on the fast path"
        # A tab in a last comment sends the same lock to decode_toml, positions unchanged.
        slow = candidate + "#\t\n"
        assert fast(slow) is None
        want = None
        try:
            lock.parse_lock(slow, "//:uv.lock")
        except StarlarkFail as err:
            want = str(err).split("\nTraceback")[0]
        assert want is not None, f"edit {i} should be refused"
        with pytest.raises(StarlarkFail) as got:
            lock.parse_lock(candidate, "//:uv.lock")
        assert str(got.value).split("\nTraceback")[0] == want
        assert "//:uv.lock:" in want and ":1:1:" not in want, want
