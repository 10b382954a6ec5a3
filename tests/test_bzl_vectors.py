"""The vectors of the Bazel Starlark suites (tests/bzl/*_vectors.bzl) match the references.

tests/bzl runs the real .bzl files in Bazel 4.2.3 against these vectors; this test keeps
the vectors honest: they must be what ``packaging`` and ``tomllib`` answer today
(regenerate with ``.venv/bin/python -m tests.bzl.gen_vectors``).
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from tests.bzl import gen_vectors
from tests.test_toml import assert_same

BZL_DIR = Path(gen_vectors.__file__).resolve().parent


def committed(filename: str) -> dict:
    text = (BZL_DIR / filename).read_text(encoding="utf-8")
    match = re.search(r'^\w+ = json\.decode\("(.*)"\)$', text, re.M)
    assert match, f"tests/bzl/{filename} is not a vector file"
    literal = re.sub(r"\\(.)", r"\1", match.group(1))
    return json.loads(literal)


@pytest.mark.parametrize("filename", [f for f in gen_vectors.FILES if f != "toml_vectors.bzl"])
def test_vectors_are_what_the_reference_answers(filename):
    name, make = gen_vectors.FILES[filename]
    want = gen_vectors.render(name, make())
    got = (BZL_DIR / filename).read_text(encoding="utf-8")
    assert got == want, f"tests/bzl/{filename} is stale: run python -m tests.bzl.gen_vectors"


def test_toml_vectors_decode_like_tomllib():
    vectors = committed("toml_vectors.bzl")
    assert len(vectors["documents"]) > 10
    for text, decoded in vectors["documents"]:
        assert_same(decoded, tomllib.loads(text))
    assert len(vectors["errors"]) > 30
    for call, _ in vectors["errors"]:
        with pytest.raises(tomllib.TOMLDecodeError):
            tomllib.loads(call[1])


def test_vectors_cover_both_outcomes():
    pep440 = committed("pep440_vectors.bzl")
    valid = [v for v in pep440["versions"] if v[1] is not None]
    assert 100 < len(valid) < len(pep440["versions"]) - 30
    answers = [want for _, candidates in pep440["sets"] for _, want in candidates]
    assert answers.count(True) > 100 and answers.count(False) > 100
    markers = committed("markers_vectors.bzl")
    flat = [a for _, answers in markers["cases"] for a in answers]
    assert flat.count(True) > 200 and flat.count(False) > 200
