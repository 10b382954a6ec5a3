"""Differential tests of ``uv/private/pep440.bzl`` against ``packaging`` (the reference).

The real ``.bzl`` file runs in Bazel 4.2.3: ``starlark_calls`` below declares every call,
the session's one Bazel build answers them (tests/support/starlark_bazel.py). Seeded random
versions and specifiers are checked in batches (one Starlark call per batch) against
``packaging.version.Version`` and ``packaging.specifiers.SpecifierSet``.
"""

from __future__ import annotations

import random
from functools import cmp_to_key
from pathlib import Path

import pytest
from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from tests.support.starlark_bazel import StarlarkFail

REPO_ROOT = Path(__file__).resolve().parents[1]
SEED = 440

# Test-only helpers that loop in Starlark, so a batch costs one call into the interpreter.
BATCH_SOURCE = """
load(
    "//uv/private:pep440.bzl",
    "compare_versions",
    "compile_specifiers",
    "format_version",
    "try_parse_specifier",
    "try_parse_version",
    "version_satisfies",
)

def parse_all(texts):
    out = []
    for text in texts:
        parsed = try_parse_version(text)
        out.append(None if parsed == None else [parsed["key"], format_version(parsed)])
    return out

def compare_all(pairs):
    return [compare_versions(a, b) for a, b in pairs]

def less_all(pairs):
    out = []
    for a, b in pairs:
        ka = try_parse_version(a)["key"]
        kb = try_parse_version(b)["key"]
        out.append([ka < kb, ka == kb, ka > kb])
    return out

def sort_indices(texts):
    decorated = sorted([(try_parse_version(t)["key"], i) for i, t in enumerate(texts)])
    return [i for _, i in decorated]

def valid_specifiers(texts):
    return [try_parse_specifier(t) != None for t in texts]

def satisfies_all(cases, through_json):
    out = []
    for spec_set, versions in cases:
        specs = compile_specifiers(spec_set)
        if through_json:
            specs = json.decode(json.encode(specs))
        out.append([version_satisfies(v, specs) for v in versions])
    return out
"""

PRE_SPELLINGS = ["a", "alpha", "b", "beta", "c", "rc", "pre", "preview"]
POST_SPELLINGS = ["post", "rev", "r"]
SEPARATORS = ["", "", ".", "-", "_"]
NUMBERS = ["0", "0", "1", "1", "2", "3", "10", "01", "00", "9", "12", "2024"]
LOCAL_SEGMENTS = ["ubuntu", "1", "abc2", "03", "cpu", "cu118", "x", "0"]
MUTATION_CHARS = ".-_+!*a1 xZ@"
OPERATORS = ["==", "!=", "<=", ">=", "<", ">", "~=", "==="]


PEP440 = "//uv/private:pep440.bzl"
BATCH = "//tests:pep440_batch.bzl"


@pytest.fixture(scope="module")
def pep440(starlark_bazel):
    return starlark_bazel.load(PEP440)


@pytest.fixture(scope="module")
def batch(starlark_bazel):
    return starlark_bazel.load_source(BATCH, BATCH_SOURCE)


def _case(rng: random.Random, text: str) -> str:
    return "".join(c.upper() if rng.random() < 0.3 else c for c in text)


def _gen_version(rng: random.Random, mutate: float = 0.1) -> str:
    parts = []
    if rng.random() < 0.08:
        parts.append(rng.choice("vV"))
    if rng.random() < 0.1:
        parts.append(f"{rng.randint(0, 3)}!")
    count = rng.choice([1, 1, 2, 2, 2, 3, 3, 4, 5])
    parts.append(".".join(rng.choice(NUMBERS) for _ in range(count)))
    if rng.random() < 0.3:
        number = rng.choice(NUMBERS) if rng.random() < 0.8 else ""
        spelling = _case(rng, rng.choice(PRE_SPELLINGS))
        parts.append(rng.choice(SEPARATORS) + spelling + rng.choice(SEPARATORS) + number)
    if rng.random() < 0.25:
        if rng.random() < 0.3:
            parts.append("-" + rng.choice(NUMBERS))
        else:
            number = rng.choice(NUMBERS) if rng.random() < 0.8 else ""
            spelling = _case(rng, rng.choice(POST_SPELLINGS))
            parts.append(rng.choice(SEPARATORS) + spelling + rng.choice(SEPARATORS) + number)
    if rng.random() < 0.25:
        number = rng.choice(NUMBERS) if rng.random() < 0.8 else ""
        parts.append(rng.choice(SEPARATORS) + _case(rng, "dev") + rng.choice(SEPARATORS) + number)
    if rng.random() < 0.15:
        segments = [_case(rng, rng.choice(LOCAL_SEGMENTS)) for _ in range(rng.randint(1, 3))]
        local = segments[0]
        for segment in segments[1:]:
            local += rng.choice(".-_") + segment
        parts.append("+" + local)
    text = "".join(parts)
    if rng.random() < 0.05:
        text = rng.choice([" ", "\t", "  ", "\n"]) + text + rng.choice(["", " ", "\t\n"])
    if rng.random() < mutate:
        text = _mutate(rng, text)
    return text


def _mutate(rng: random.Random, text: str) -> str:
    position = rng.randint(0, len(text))
    kind = rng.random()
    if kind < 0.4:
        return text[:position] + rng.choice(MUTATION_CHARS) + text[position:]
    if kind < 0.7 and text:
        position = min(position, len(text) - 1)
        return text[:position] + text[position + 1 :]
    return text + rng.choice([".", "-", "_", "+", ".*", "a", "post", ".dev", "!1"])


FIXED_VERSIONS = [
    "",
    " ",
    "v",
    "1",
    "1.0",
    "1.0.0",
    "1..0",
    ".1",
    "1.",
    "1.0RC1",
    "v1.0",
    "V1.0",
    "1.0-post1",
    "1.0-1",
    "1.0-",
    "1.0a",
    "1.0a-",
    "1.0a.",
    "1.0.post",
    "1.0.post.",
    "1.0.dev-",
    "1.0a.post1",
    "1.0a--1",
    "1.0a-post",
    "1!",
    "1!1",
    "v1!2.0",
    "1.0+",
    "1.0+abc.",
    "1.0+abc..1",
    "1.0+ABC-1_2",
    "1.0.*",
    "1.0a1a",
    "1.0.post1.post2",
    "1.0.dev1.dev2",
    "1.0rev",
    "1.0r",
    "1.0c",
    "1.0pre",
    "1.0preview2",
    "1.0-r1",
    "1.0.a1",
    "1.0_a_1",
    "0",
    "0.0",
    "00",
    "0.dev0",
    "1.0\n",
    "1.0 .0",
    "20240101",
    "1.2.3.4.5.6",
    "1.0a1.dev1+local",
    "1!2.0-RC1-3.DEV4+Ubuntu-1",
]


def _versions(count: int, seed: int = SEED) -> list[str]:
    rng = random.Random(seed)
    return FIXED_VERSIONS + [_gen_version(rng, mutate=0.15) for _ in range(count)]


def _packaging_version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def test_validity_keys_and_normal_form_match_packaging(batch):
    texts = _versions(4000)
    results = batch.parse_all(texts)
    valid = 0
    for text, result in zip(texts, results, strict=True):
        reference = _packaging_version(text)
        if reference is None:
            assert result is None, f"{text!r} is not a PEP 440 version but was accepted"
            continue
        valid += 1
        assert result is not None, f"{text!r} is a PEP 440 version but was rejected"
        assert result[1] == str(reference), text
    # The generator must exercise both outcomes substantially.
    assert valid > 2500
    assert len(texts) - valid > 300


def _cmp(a: Version, b: Version) -> int:
    return (a > b) - (a < b)


def _ordering_inputs():
    """The versions, their packaging parses and the index pairs the ordering test compares."""
    rng = random.Random(SEED + 1)
    texts = [t for t in _versions(3000, SEED + 1) if _packaging_version(t) is not None]
    texts += ["1.0.dev1", "1.0a1.dev1", "1.0a1", "1.0a1.post1.dev1", "1.0a1.post1", "1.0b1"]
    texts += ["1.0rc1", "1.0", "1.0+abc", "1.0+abc.1", "1.0+1", "1.0+1.abc", "1.0.post1.dev1"]
    texts += ["1.0.post1", "1.0.post1+x", "1.0.0.1", "1!0.1", "1.0+a-b", "1.0+a.b"]
    parsed = [Version(t) for t in texts]
    # Pairwise <, ==, > on keys and compare_versions, on neighbours and random pairs.
    by_packaging = sorted(
        range(len(texts)), key=cmp_to_key(lambda i, j: _cmp(parsed[i], parsed[j]))
    )
    pairs = list(zip(by_packaging, by_packaging[1:], strict=False))
    pairs += [(rng.randrange(len(texts)), rng.randrange(len(texts))) for _ in range(3000)]
    return texts, parsed, pairs


def test_ordering_matches_packaging(batch):
    texts, parsed, pairs = _ordering_inputs()

    # Sorting by the Starlark key gives a non-decreasing packaging sequence.
    order = batch.sort_indices(texts)
    assert sorted(order) == list(range(len(texts)))
    for left, right in zip(order, order[1:], strict=False):
        assert parsed[left] <= parsed[right], (texts[left], texts[right])

    text_pairs = [(texts[i], texts[j]) for i, j in pairs]
    compared = batch.compare_all(text_pairs)
    relations = batch.less_all(text_pairs)
    equal_pairs = 0
    for (i, j), got, relation in zip(pairs, compared, relations, strict=True):
        expected = _cmp(parsed[i], parsed[j])
        equal_pairs += expected == 0
        assert got == expected, (texts[i], texts[j])
        assert relation == [expected < 0, expected == 0, expected > 0], (texts[i], texts[j])
    assert equal_pairs > 50


# (function, arguments, answer): the examples the module documents.
DOCUMENTED = [
    ("compare_versions", ("1.0", "1.0.0"), 0),
    ("compare_versions", ("1.0RC1", "1.0rc1"), 0),
    ("compare_versions", ("v1.0", "1.0"), 0),
    ("compare_versions", ("1.0-post1", "1.0.post1"), 0),
    ("compare_versions", ("1.0.dev1", "1.0a1"), -1),
    ("compare_versions", ("1.0", "1.0+local"), -1),
    ("compare_versions", ("2.0", "1!1.0"), -1),
    ("is_valid_version", (" 1.0 ",), True),
    ("is_valid_version", ("1.0.*",), False),
    ("parse_specifiers", (">=3.9, <4",), [(">=", "3.9"), ("<", "4")]),
    ("parse_specifiers", ("==3.11.*",), [("==", "3.11.*")]),
    (
        "parse_specifiers",
        (" ~= 2.2 ,, !=1.0.* ,===x ",),
        [("~=", "2.2"), ("!=", "1.0.*"), ("===", "x")],
    ),
    ("parse_specifiers", ("",), []),
    ("version_satisfies", ("3.11", ">=3.9, <4"), True),
    ("version_satisfies", ("3.11.4", "==3.11.*"), True),
    ("version_satisfies", ("3.12", "==3.11.*"), False),
    ("version_satisfies", ("2.5", "~=2.2"), True),
    ("version_satisfies", ("3.0", "~=2.2"), False),
    ("version_satisfies", ("2.0a1", "<2.0"), False),
    ("version_satisfies", ("2.0a1", ">=1.0"), True),  # pre-releases are allowed
    ("version_satisfies", ("1.0.post1", ">1.0"), False),
    ("version_satisfies", ("1.0+local", "==1.0"), True),
    ("version_satisfies", ("1.0", "==1.0+local"), False),
    ("version_satisfies", ("FOO", "===foo"), True),  # === compares strings, any text
    ("version_satisfies", ("1.0.0", "===1.0"), False),
    ("version_satisfies", ("anything", ""), True),
]


def test_documented_examples(pep440):
    for name, args, want in DOCUMENTED:
        got = getattr(pep440, name)(*args)
        assert got == want and type(got) is type(want), (name, args, got)


def _neighbours(text: str) -> list[str]:
    """Versions around a specifier's version, where the operators' edge cases live."""
    v = Version(text.removesuffix(".*"))
    epoch = f"{v.epoch}!" if v.epoch else ""
    release = list(v.release)
    bases = [release, release + [0], release + [0, 1]]
    if len(release) > 1:
        bases.append(release[:-1])
    bases.append(release[:-1] + [release[-1] + 1])
    if release[-1] > 0:
        bases.append(release[:-1] + [release[-1] - 1])
    if len(release) > 1:
        bases.append(release[:-2] + [release[-2] + 1])
    suffixes = ["", "a1", "rc1", ".post1", ".dev0", ".post1.dev0", "a1.dev0", "+x.1", ".post1+x"]
    out = [str(v), f"{v}+loc", f"{v.public}.post1", f"{v.public}.dev3"]
    if v.local is None and v.dev is None:
        out.append(f"{v.public}.dev0")
    if v.pre is not None and v.post is None and v.dev is None:
        out.append(f"{v}.post2")
    for base in bases:
        joined = ".".join(str(n) for n in base)
        out.extend(epoch + joined + suffix for suffix in suffixes)
    return [t for t in out if _packaging_version(t) is not None]


def _gen_specifier(rng: random.Random) -> str:
    op = rng.choice(OPERATORS)
    version = _gen_version(rng, mutate=0.03)
    roll = rng.random()
    if roll < 0.2:
        version = ".".join(rng.choice(NUMBERS) for _ in range(rng.randint(1, 3))) + ".*"
    elif roll < 0.25:
        version += ".*"
    elif roll < 0.3 and "+" not in version:
        version += "+" + rng.choice(LOCAL_SEGMENTS)
    space = rng.choice(["", "", " ", "\t"])
    return rng.choice(["", " "]) + op + space + version + rng.choice(["", " "])


def _specifier_is_valid(text: str) -> bool:
    try:
        Specifier(text)
    except InvalidSpecifier:
        return False
    return True


def _specifier_texts() -> list[str]:
    rng = random.Random(SEED + 2)
    fixed = ["==1.0.*", "!=1.0.*", "<1.0.*", "~=1", "~=1.0", "~=1.0+x", "==1.0+x", "<=1.0+x"]
    fixed += ["===", "=== x", "===a;b", "===a)", "== 1.0", "==1.0 .*", "=1.0", "1.0", ">", ""]
    fixed += ["==1.0a1.*", "==1!1.0.*", "==v1.*", ">=V1.0", "~=1.0.post1.dev2", "<1.0-1"]
    return fixed + [_gen_specifier(rng) for _ in range(3000)]


def test_specifier_validity_matches_packaging(batch):
    texts = _specifier_texts()
    got = batch.valid_specifiers(texts)
    valid = 0
    for text, result in zip(texts, got, strict=True):
        expected = _specifier_is_valid(text)
        valid += expected
        assert result == expected, text
    assert valid > 1000


def _gen_cases(rng: random.Random, count: int) -> list[tuple[str, list[str]]]:
    pool = [t for t in _versions(400, SEED + 3) if _packaging_version(t) is not None]
    cases = []
    for _ in range(count):
        items = []
        for _ in range(rng.choice([1, 1, 2, 2, 3])):
            for _ in range(100):
                item = _gen_specifier(rng)
                if _specifier_is_valid(item):
                    break
            items.append(item)
        text = rng.choice([",", ", ", " ,", ",,"]).join(items)
        candidates = rng.sample(pool, 6)
        for item in items:
            spec = Specifier(item)
            if spec.operator != "===":
                candidates += _neighbours(spec.version)
            else:
                candidates.append(spec.version)
        cases.append((text, candidates))
    return cases


@pytest.mark.parametrize("through_json", [False, True], ids=["compiled", "json-roundtrip"])
def test_specifier_sets_match_packaging(batch, through_json):
    checked = _checked_cases(through_json)
    results = batch.satisfies_all(checked, through_json)
    total = matched = 0
    for (text, candidates), got in zip(checked, results, strict=True):
        reference = SpecifierSet(text)
        for candidate, result in zip(candidates, got, strict=True):
            expected = reference.contains(candidate, prereleases=True)
            total += 1
            matched += expected
            assert result == expected, f"{candidate!r} in {text!r}"
    assert matched > total // 10
    assert total - matched > total // 10


def _checked_cases(through_json: bool) -> list[tuple[str, list[str]]]:
    rng = random.Random(SEED + 4 + through_json)
    cases = _gen_cases(rng, 1200 if not through_json else 300)
    # === needs no PEP 440 version; any other operator fails on one (tested below).
    checked = []
    for text, candidates in cases:
        has_standard = any(s.operator != "===" for s in SpecifierSet(text))
        keep = [c for c in candidates if not has_standard or _packaging_version(c) is not None]
        checked.append((text, keep))
    return checked


# (function and arguments, text the failure must contain); also checked by the Bazel suite
# (tests/bzl/gen_vectors.py).
INVALID_CALLS = [
    (("parse_version", "1.0.x"), '"1.0.x"'),
    (("parse_version", ""), '""'),
    (("compare_versions", "1.0", "one"), '"one"'),
    (("parse_specifiers", ">=1.0, <2.0.*"), '"<2.0.*"'),
    (("parse_specifiers", "~=1"), '"~=1"'),
    (("parse_specifiers", "1.0"), '"1.0"'),
    (("version_satisfies", "3.11", ">=3.9, =<4"), '"=<4"'),
    (("version_satisfies", "latest", ">=3.9"), '"latest"'),
]


@pytest.mark.parametrize(("call", "needle"), INVALID_CALLS)
def test_invalid_input_fails_naming_it(pep440, call, needle):
    name, *args = call
    with pytest.raises(StarlarkFail) as info:
        getattr(pep440, name)(*args)
    message = str(info.value)
    assert needle in message
    assert "PEP 440" in message


def starlark_calls(calls, request) -> None:
    """Every Starlark call of this module, for the session's Bazel build to answer."""
    pep440 = calls.load(PEP440)
    batch = calls.load_source(BATCH, BATCH_SOURCE)
    batch.parse_all(_versions(4000))
    texts, _, pairs = _ordering_inputs()
    batch.sort_indices(texts)
    text_pairs = [(texts[i], texts[j]) for i, j in pairs]
    batch.compare_all(text_pairs)
    batch.less_all(text_pairs)
    batch.valid_specifiers(_specifier_texts())
    for through_json in (False, True):
        batch.satisfies_all(_checked_cases(through_json), through_json)
    for name, args, _ in DOCUMENTED:
        getattr(pep440, name)(*args)
    for (name, *args), _ in INVALID_CALLS:
        getattr(pep440, name)(*args)
