"""Writes the test vectors the Bazel Starlark suites of tests/bzl check.

The expected answers come from the references (``packaging``, ``tomllib``), the same ones
the Python differential tests use; ``tests/test_bzl_vectors.py`` fails when a committed
vector file differs from what this script writes. Regenerate with::

    .venv/bin/python -m tests.bzl.gen_vectors

Each file holds one JSON document as a Starlark string, decoded by Bazel's ``json``.
Text is written as UTF-8: Bazel reads ``.bzl`` files as Latin-1 byte strings, which is
also how it sees a ``uv.lock`` read by a repository rule.
"""

from __future__ import annotations

import contextlib
import datetime
import itertools
import json
import platform
import random
import sysconfig
import tomllib
from pathlib import Path
from unittest import mock

from packaging import _manylinux, _musllinux, tags
from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.utils import parse_wheel_filename
from packaging.version import InvalidVersion, Version

REPO_ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
TESTDATA = REPO_ROOT / "tests" / "testdata"
SEED = 2026


def _version_or_none(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


# ---------------------------------------------------------------------------- PEP 440


def pep440_vectors() -> dict:
    from tests.test_pep440 import FIXED_VERSIONS, _gen_cases, _gen_specifier, _gen_version

    rng = random.Random(SEED)
    texts = FIXED_VERSIONS + [_gen_version(rng, mutate=0.15) for _ in range(300)]
    versions = []
    for text in texts:
        v = _version_or_none(text)
        versions.append([text, None if v is None else str(v)])
    valid = [t for t, v in versions if v is not None]
    pairs = []
    for _ in range(300):
        a, b = rng.choice(valid), rng.choice(valid)
        if rng.random() < 0.2:
            b = str(Version(a))
        va, vb = Version(a), Version(b)
        pairs.append([a, b, (va > vb) - (va < vb)])
    specifiers = []
    for _ in range(200):
        text = _gen_specifier(rng)
        try:
            SpecifierSet(text)
            ok = True
        except Exception:  # noqa: BLE001 - any rejection means "invalid"
            ok = False
        specifiers.append([text, ok])
    sets = []
    for text, candidates in _gen_cases(rng, 40):
        reference = SpecifierSet(text)
        standard = any(s.operator != "===" for s in reference)
        keep = [c for c in candidates if not standard or _version_or_none(c) is not None]
        sets.append([text, [[c, reference.contains(c, prereleases=True)] for c in keep]])
    from tests.test_pep440 import INVALID_CALLS

    errors = [[list(call), [needle, "PEP 440"]] for call, needle in INVALID_CALLS]
    return {
        "versions": versions,
        "compare": pairs,
        "specifiers": specifiers,
        "sets": sets,
        "errors": errors,
    }


# ---------------------------------------------------------------------------- markers


def marker_vectors() -> dict:
    from tests.test_markers import (
        NAME_SETS,
        PYTHONS,
        TARGETS,
        _packaging_env,
        _random_markers,
        python_env,
    )

    lines = (TESTDATA / "markers" / "real_world.txt").read_text(encoding="utf-8").splitlines()
    real = [line for line in lines if line.strip() and not line.startswith("#")]
    good, _ = _random_markers(SEED, 250)
    pairs = [(t, t) for t in real] + good
    rng = random.Random(SEED)
    contexts = []
    for (os_, cpu), python in itertools.product(TARGETS, PYTHONS):
        extras, groups = rng.choice(NAME_SETS)
        contexts.append([os_, cpu, python, extras, groups])
    contexts = rng.sample(contexts, 10)
    cases = []
    for ours, theirs in pairs:
        marker = Marker(theirs)
        answers = []
        try:
            for os_, cpu, python, extras, groups in contexts:
                env = python_env(os_, cpu, python)
                answers.append(
                    marker.evaluate(_packaging_env((env, extras, groups)), context="lock_file")
                )
        except (ValueError, KeyError):
            continue  # raises somewhere: the Python error tests cover it
        cases.append([ours, answers])
    from tests.test_markers import INVALID_MARKERS

    errors = []
    for text in INVALID_MARKERS:
        errors.append([["parse_marker", text], ["invalid marker", text.split("\n")[0][:12]]])
    return {"contexts": contexts, "cases": cases, "errors": errors}


# ---------------------------------------------------------------------------- wheel tags


class _Patch:
    """A stand-in for pytest's monkeypatch that the wheel-tag reference functions use."""

    def __init__(self, stack: contextlib.ExitStack):
        self.stack = stack

    def setattr(self, owner, name, value):
        self.stack.enter_context(mock.patch.object(owner, name, value))


def wheel_tag_vectors() -> dict:
    from tests.test_wheel_tags import (
        EDGE_TARGETS,
        WHEEL_SETS,
        _rank_map,
        _targets,
        packaging_platforms,
        packaging_tags,
        reference_select,
    )

    assert platform and sysconfig and _manylinux and _musllinux and tags  # patched by the above
    platform_cases, full_cases, selections = [], [], []
    pythons = ["3.9", "3.11", "3.14"]
    for i, target in enumerate(_targets() + EDGE_TARGETS):
        with contextlib.ExitStack() as stack:
            platform_cases.append([target, packaging_platforms(target, _Patch(stack))])
        full = {**target, "python_version": pythons[i % len(pythons)]}
        with contextlib.ExitStack() as stack:
            ranks = _rank_map(packaging_tags(full, _Patch(stack)))
        selections.append([full, {n: reference_select(f, ranks) for n, f in WHEEL_SETS.items()}])
        if i % 9 == 0:
            with contextlib.ExitStack() as stack:
                full_cases.append([full, packaging_tags(full, _Patch(stack))])
    wheels = []
    for files in WHEEL_SETS.values():
        for filename in files:
            name, _, build, wheel_tags = parse_wheel_filename(filename)
            wheels.append([filename, name, sorted(str(t) for t in wheel_tags)])
    from tests.test_wheel_tags import INVALID_TARGETS, INVALID_WHEELS, SDIST_REJECTS

    errors = [[["parse_wheel_filename", f], [f'"{f}"', why]] for f, why in INVALID_WHEELS]
    errors += [
        [["parse_sdist_filename", f, project], [f'"{f}"', why]] for f, project, why in SDIST_REJECTS
    ]
    errors += [[["target_tags", t], ["Invalid target ", why]] for t, why in INVALID_TARGETS]
    return {
        "errors": errors,
        "wheel_sets": WHEEL_SETS,
        "platform_tags": platform_cases,
        "target_tags": full_cases,
        "selections": selections,
        "wheels": wheels,
    }


# ---------------------------------------------------------------------------- TOML


def _plain(value):
    """tomllib's answer with date-times as the text they decode from (checked by the test)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime.date | datetime.time):
        raise ValueError("date-times are compared as text; take them from the decoder")
    return value


def toml_vectors() -> dict:
    """Documents and their decoding. Date-times appear as the decoder's text, which
    tests/test_bzl_vectors.py checks against tomllib."""
    from tests.support.starlark_env import StarlarkEnv
    from tests.support.tomlgen import TomlGen

    decode = StarlarkEnv(REPO_ROOT).load("//uv/private:toml.bzl").decode_toml
    texts = [(TESTDATA / "toml" / "kitchen_sink.toml").read_text(encoding="utf-8")]
    texts += [TomlGen(seed).document() for seed in range(SEED, SEED + 40)]
    docs = []
    for text in texts:
        tomllib.loads(text)  # must be valid
        docs.append([text, decode(text)])
    from tests.test_toml import ERRORS

    errors = []
    for text, position, words in ERRORS.values():
        with contextlib.suppress(tomllib.TOMLDecodeError):
            tomllib.loads(text)
            raise AssertionError(f"tomllib accepts {text!r}")
        # Known difference, left to toml.bzl's owner: Bazel strings are bytes, so the
        # message names the first byte of a non-ASCII character ('\xc3' for 'é'). Such
        # words are checked by tests/test_toml.py only.
        words = [w for w in words if w.isascii()]
        errors.append([["decode_toml", text, "uv.lock"], [f"uv.lock:{position}: ", *words]])
    return {"documents": docs, "errors": errors}


# ---------------------------------------------------------------------------- files

FILES = {
    "pep440_vectors.bzl": ("PEP440_VECTORS", pep440_vectors),
    "markers_vectors.bzl": ("MARKER_VECTORS", marker_vectors),
    "wheel_tags_vectors.bzl": ("WHEEL_TAG_VECTORS", wheel_tag_vectors),
    "toml_vectors.bzl": ("TOML_VECTORS", toml_vectors),
}


def render(name: str, data: dict) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    literal = text.replace("\\", "\\\\").replace('"', '\\"')
    return (
        '"""Test vectors computed by the reference implementation; written by '
        "tests/bzl/gen_vectors.py (do not edit)."
        '"""\n\n'
        f'{name} = json.decode("{literal}")\n'
    )


def main() -> None:
    for filename, (name, make) in FILES.items():
        (HERE / filename).write_text(render(name, make()), encoding="utf-8")
        print(f"wrote tests/bzl/{filename}")


if __name__ == "__main__":
    main()
