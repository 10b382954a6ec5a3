"""PEP 440 versions and version specifiers, in pure Starlark.

Used by the planner to compare the versions a `uv.lock` records with a target's Python
version (`requires-python`, markers). The reference behaviour is `packaging` 26:

* `parse_version(text)` returns a comparison key: Starlark `<`, `==` on keys give the
  PEP 440 order of `packaging.version.Version` (epoch, release with trailing zeros
  ignored, dev-only < a < b < rc < final, post releases, local labels). Keys are nested
  lists of ints and strings: JSON round-trips them unchanged (a tuple would come back
  as a list, and Starlark cannot order a tuple against a list). Use the normalised text
  (`format_version`) where a hashable value is needed.
* `version_satisfies(version, specifiers)` is
  `SpecifierSet(specifiers).contains(version, prereleases=True)`: we always evaluate one
  concrete version (a locked version or an interpreter version), never choose among
  candidates, so PEP 440's "exclude pre-releases unless asked" selection rule does not
  apply. The operator rules about pre-releases still do: `<V` excludes V's own
  pre-releases (unless V is one), `>V` excludes V's post-releases (unless V is one), and
  local labels are ignored by `==V`/`!=V`/`<=V`/`>V` when V has none.
* Unlike `packaging` (which answers `False`), `version_satisfies` fails on a version that
  is not PEP 440, unless every specifier is `===` (a plain string comparison). Markers use
  the non-failing `specifier_matches`, as `packaging` does for marker values.

Whitespace around a version means ASCII space, tab, CR and LF (Python also strips other
Unicode spaces).
"""

load(":text.bzl", "contains_any")

_WS = " \t\r\n"
_WS_CHARS = [" ", "\t", "\r", "\n"]
_DIGITS = "0123456789"
_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
_SEPARATORS = "._-"

# Pre-release spellings in the order the PEP 440 regex tries them (a longer spelling
# before its prefix), with their rank: a=0 < b=1 < rc=2.
_PRE_SPELLINGS = [
    ("alpha", 0),
    ("a", 0),
    ("beta", 1),
    ("b", 1),
    ("preview", 2),
    ("pre", 2),
    ("c", 2),
    ("rc", 2),
]
_PRE_NAMES = ["a", "b", "rc"]
_POST_SPELLINGS = ["post", "rev", "r"]

# Sort ranks inside the comparison key (the same layout as packaging's _cmpkey).
_RANK_DEV_ONLY = -1  # 1.0.dev1 sorts before 1.0a1
_RANK_FINAL = 3  # no pre-release: after rc
_RANK_LOCAL_STRING = -1  # in local labels, strings sort before numbers

# Operators, longest first so that "===" is not read as "==" followed by "=".
_OPERATORS = ["===", "~=", "==", "!=", "<=", ">=", "<", ">"]

def _span(text, start, chars):
    """Returns the end of the run of characters from `chars` that starts at `start`."""
    rest = text[start:]
    return start + len(rest) - len(rest.lstrip(chars))

def _only(text, chars):
    """True when `text` is non-empty and made only of characters from `chars`."""
    return text != "" and text.strip(chars) == ""

def _int(digits):
    """Parses ASCII digits; leading zeros are allowed (PEP 440 ignores them)."""
    return int(digits.lstrip("0") or "0")

def _number(text, start):
    """Reads optional digits at `start`: returns (end, value or None)."""
    end = _span(text, start, _DIGITS)
    if end == start:
        return start, None
    return end, _int(text[start:end])

def _separator(text, start):
    """Skips one optional `.`, `_` or `-` at `start`."""
    if start < len(text) and text[start] in _SEPARATORS:
        return start + 1
    return start

def _word(text, start, words):
    """Returns the first of `words` found at `start`, or None."""
    for word in words:
        if text[start:start + len(word)] == word:
            return word
    return None

def _match_pre(text, start):
    """Matches `[._-]? (a|b|rc|...) [._-]? N?` at `start`: (end, (rank, n)) or None."""
    i = _separator(text, start)
    for spelling, rank in _PRE_SPELLINGS:
        if text[i:i + len(spelling)] == spelling:
            i, number = _number(text, _separator(text, i + len(spelling)))
            return i, [rank, number or 0]
    return None

def _match_post(text, start):
    """Matches `-N` or `[._-]? (post|rev|r) [._-]? N?` at `start`: (end, n) or None."""
    if text[start:start + 1] == "-":
        end, number = _number(text, start + 1)
        if number != None:
            return end, number
    i = _separator(text, start)
    word = _word(text, i, _POST_SPELLINGS)
    if word == None:
        return None
    i, number = _number(text, _separator(text, i + len(word)))
    return i, number or 0

def _match_dev(text, start):
    """Matches `[._-]? dev [._-]? N?` at `start`: (end, n) or None."""
    i = _separator(text, start)
    if text[i:i + 3] != "dev":
        return None
    i, number = _number(text, _separator(text, i + 3))
    return i, number or 0

def _parse_local(label):
    """Splits a local label (`ubuntu-1.2`) into lower-case parts; None if invalid."""
    parts = []
    for part in label.replace("-", ".").replace("_", ".").split("."):
        if not _only(part, _ALNUM):
            return None
        parts.append(_int(part) if _only(part, _DIGITS) else part)
    return parts

def _release_end(text, start):
    """Returns the end of `N(.N)*` starting at `start` (which must be a digit)."""
    i = _span(text, start, _DIGITS)
    for _ in range(len(text)):
        if text[i:i + 1] != "." or text[i + 1:i + 2] == "" or text[i + 1] not in _DIGITS:
            break
        i = _span(text, i + 1, _DIGITS)
    return i

def _trim_release(release):
    """Drops trailing zeros: 1.0.0 and 1 compare equal."""
    end = len(release)
    for _ in range(len(release)):
        if end == 0 or release[end - 1] != 0:
            break
        end -= 1
    return list(release[:end])

def _make_key(epoch, release, pre, post, dev, local):
    """Builds the comparison key; same ordering as packaging.version._cmpkey."""
    if pre == None and post == None and dev != None:
        pre_rank, pre_number = _RANK_DEV_ONLY, 0
    elif pre == None:
        pre_rank, pre_number = _RANK_FINAL, 0
    else:
        pre_rank, pre_number = pre
    suffix = [
        pre_rank,
        pre_number,
        0 if post == None else 1,
        post or 0,
        1 if dev == None else 0,
        dev or 0,
    ]
    local_key = []
    if local != None:
        local_key = [
            [part, ""] if type(part) == "int" else [_RANK_LOCAL_STRING, part]
            for part in local
        ]
    return [epoch, _trim_release(release), suffix, local_key]

def _make_version(epoch, release, pre = None, post = None, dev = None, local = None):
    """A parsed version: its parts and its comparison key."""
    return {
        "dev": dev,
        "epoch": epoch,
        "key": _make_key(epoch, release, pre, post, dev, local),
        "local": local,
        "post": post,
        "pre": pre,
        "release": list(release),
    }

def try_parse_version(text):
    """Parses a PEP 440 version without failing.

    Args:
      text: the version, e.g. `"1.0rc1"`, `"v2!1.0.post1+local.7"`.

    Returns:
      A dict with `epoch` (int), `release` (list of ints), `pre` ([rank, n] with rank
      0=a, 1=b, 2=rc, or None), `post`, `dev` (int or None), `local` (list of ints and
      strings, or None) and `key` (as returned by `parse_version`); None if `text` is
      not a valid version.
    """
    s = text.strip(_WS).lower()
    if _only(s, _DIGITS + "."):
        # Fast path for the common "3.11.4": only digits and dots.
        parts = s.split(".")
        for part in parts:
            if part == "":
                return None
        return _make_version(0, [_int(p) for p in parts])
    i = 1 if s.startswith("v") else 0
    if s[i:i + 1] == "" or s[i] not in _DIGITS:
        return None
    epoch = 0
    end = _span(s, i, _DIGITS)
    if s[end:end + 1] == "!":
        epoch = _int(s[i:end])
        i = end + 1
        if s[i:i + 1] == "" or s[i] not in _DIGITS:
            return None
    end = _release_end(s, i)
    release = [_int(p) for p in s[i:end].split(".")]
    i = end
    pre, post, dev, local = None, None, None, None
    found = _match_pre(s, i)
    if found != None:
        i, pre = found
    found = _match_post(s, i)
    if found != None:
        i, post = found
    found = _match_dev(s, i)
    if found != None:
        i, dev = found
    if s[i:i + 1] == "+":
        local = _parse_local(s[i + 1:])
        if local == None:
            return None
        i = len(s)
    if i != len(s):
        return None
    return _make_version(epoch, release, pre, post, dev, local)

def is_valid_version(text):
    """True when `text` is a valid PEP 440 version (surrounding whitespace allowed)."""
    return try_parse_version(text) != None

def _parse_or_fail(text, what = "version"):
    parsed = try_parse_version(text)
    if parsed == None:
        fail("invalid PEP 440 %s %r: expected e.g. \"1.2\", \"1.2rc1\", \"1!2.0.post1+local\"" %
             (what, text))
    return parsed

def parse_version(text):
    """Parses a PEP 440 version into a comparison key; fails if it is invalid.

    Args:
      text: the version, e.g. `"1.0RC1"` (normalised to `1.0rc1`), `"v1.0"`, `"1.0-1"`.

    Returns:
      A key (nested lists of ints and strings) such that Starlark `<`/`==` between keys
      is PEP 440 ordering/equality of the versions.
    """
    return _parse_or_fail(text)["key"]

def compare_versions(a, b):
    """Compares two PEP 440 versions; fails if either is invalid.

    Args:
      a: a version string.
      b: a version string.

    Returns:
      -1 if a < b, 0 if they are equal (e.g. `1.0` and `1.0.0`), 1 if a > b.
    """
    ka = parse_version(a)
    kb = parse_version(b)
    if ka < kb:
        return -1
    if ka > kb:
        return 1
    return 0

def format_version(parsed):
    """Renders a parsed version in PEP 440 normal form.

    Args:
      parsed: a dict from `try_parse_version`.

    Returns:
      The normalised text, e.g. `"1!2.0rc1.post3.dev4+ubuntu.1"` for
      `"1!2.0-RC1-3.DEV4+Ubuntu-1"`; equal versions may still differ in trailing zeros.
    """
    text = ".".join([str(n) for n in parsed["release"]])
    if parsed["epoch"]:
        text = "%d!%s" % (parsed["epoch"], text)
    if parsed["pre"] != None:
        text += "%s%d" % (_PRE_NAMES[parsed["pre"][0]], parsed["pre"][1])
    if parsed["post"] != None:
        text += ".post%d" % parsed["post"]
    if parsed["dev"] != None:
        text += ".dev%d" % parsed["dev"]
    if parsed["local"] != None:
        text += "+" + ".".join([str(p) for p in parsed["local"]])
    return text

# ---- specifiers

def _split_operator(text):
    """Splits `>= 1.0` into (">=", "1.0"); (None, None) when no operator leads."""
    s = text.strip(_WS)
    for op in _OPERATORS:
        if s.startswith(op):
            return op, s[len(op):].strip(_WS)
    return None, None

def _public_key(parsed):
    """The key without the local label (PEP 440 ignores it for some operators)."""
    key = parsed["key"]
    return [key[0], key[1], key[2], []]

def _next_prefix_dev0(epoch, prefix):
    """The key of the first version after the `prefix.*` family: 1.2 -> 1.3.dev0."""
    bumped = list(prefix[:-1]) + [prefix[-1] + 1]
    return _make_key(epoch, bumped, None, None, 0, None)

def _compile(op, version_text):
    """Turns (op, version) into a matcher dict; None if the pair is not a valid specifier.

    The matcher holds precomputed keys so matching a version is a few list comparisons;
    the ranges are those of packaging's _ranges.standard_ranges/wildcard_ranges.
    """
    spec = {"op": op, "version": version_text}
    if op == "===":
        # Arbitrary equality: anything but whitespace, ";" and ")"; compared as a string.
        if contains_any(version_text, _WS_CHARS) or ";" in version_text or ")" in version_text:
            return None
        spec["kind"] = "arbitrary"
        spec["text"] = version_text.lower()
        return spec
    if op in ("==", "!=") and version_text.endswith(".*"):
        base = try_parse_version(version_text[:-2])
        if (base == None or contains_any(version_text, _WS_CHARS) or base["pre"] != None or
            base["post"] != None or base["dev"] != None or base["local"] != None):
            return None
        spec["kind"] = "prefix" if op == "==" else "not_prefix"
        spec["low"] = _make_key(base["epoch"], base["release"], None, None, 0, None)
        spec["high"] = _next_prefix_dev0(base["epoch"], base["release"])
        return spec
    version = None if contains_any(version_text, _WS_CHARS) else try_parse_version(version_text)
    if version == None:
        return None
    if version["local"] != None and op not in ("==", "!="):
        return None
    return _compile_standard(spec, op, version)

def _compile_standard(spec, op, version):
    """Fills `spec` for the operators other than `===` and wildcards."""
    key = version["key"]
    spec["key"] = key
    if op == "~=":
        release = version["release"]
        if len(release) < 2:
            return None
        spec["kind"] = "compatible"
        spec["high"] = _next_prefix_dev0(version["epoch"], release[:-1])
    elif op in ("==", "!="):
        # A specifier without a local label matches every local label of its version.
        exact = version["local"] != None
        spec["kind"] = ("eq" if op == "==" else "ne") + ("_exact" if exact else "")
    elif op == "<":
        # <V excludes V's own pre-releases unless V is one: compare with V.dev0.
        is_pre = version["pre"] != None or version["dev"] != None
        spec["kind"] = "lt"
        spec["high"] = key if is_pre else _make_key(
            version["epoch"],
            version["release"],
            version["pre"],
            version["post"],
            0,
            None,
        )
    elif op == ">":
        # >V excludes V's post-releases unless V is a post- or dev-release.
        spec["kind"] = "gt"
        if version["post"] == None and version["dev"] == None:
            spec["kind"] = "gt_no_post"
            spec["family"] = [key[0], key[1], version["pre"]]
    else:
        spec["kind"] = "ge" if op == ">=" else "le"
    return spec

def try_parse_specifier(text):
    """Parses one specifier (`">=1.0"`, `"== 3.11.*"`) without failing.

    Args:
      text: one specifier, operator first.

    Returns:
      A matcher dict for `specifier_matches` (JSON-serialisable; `op` and `version` hold
      the operator and the version text), or None if `text` is not a valid specifier.
    """
    op, version_text = _split_operator(text)
    if op == None:
        return None
    return _compile(op, version_text)

def _split_set(text):
    """Splits a comma-separated specifier set, dropping empty items (as packaging)."""
    return [item.strip(_WS) for item in text.split(",") if item.strip(_WS)]

def compile_specifiers(text):
    """Parses a comma-separated specifier set into matchers; fails on an invalid item.

    Args:
      text: e.g. `">=3.9, <4"`; `""` is the empty set, which every version satisfies.

    Returns:
      A list of matcher dicts (see `try_parse_specifier`).
    """
    specs = []
    for item in _split_set(text):
        spec = try_parse_specifier(item)
        if spec == None:
            fail(("invalid PEP 440 specifier %r in %r: expected an operator (~=, ==, !=, " +
                  "<=, >=, <, >, ===) and a version; \".*\" only with == and !=, " +
                  "\"+local\" only with == and !=, ~= needs at least two release " +
                  "numbers") % (item, text))
        specs.append(spec)
    return specs

def parse_specifiers(text):
    """Parses a comma-separated specifier set; fails on an invalid item.

    Args:
      text: e.g. `">=3.9, <4"`, `"==3.11.*"`, `"~=2.2"`, `"!=1.0.*"`, `"===foo"`.

    Returns:
      A list of (operator, version text) tuples, e.g. `[(">=", "3.9"), ("<", "4")]`.
    """
    return [(spec["op"], spec["version"]) for spec in compile_specifiers(text)]

def _matches_parsed(spec, parsed):
    """Matches a parsed version against a non-`===` matcher."""
    kind = spec["kind"]
    key = parsed["key"]
    if kind == "ge":
        return key >= spec["key"]
    if kind == "eq":
        return _public_key(parsed) == spec["key"]
    if kind == "ne":
        return _public_key(parsed) != spec["key"]
    if kind == "lt":
        return key < spec["high"]
    if kind == "le":
        return _public_key(parsed) <= spec["key"]
    if kind == "prefix":
        return spec["low"] <= key and key < spec["high"]
    if kind == "not_prefix":
        return key < spec["low"] or key >= spec["high"]
    if kind == "compatible":
        return spec["key"] <= key and key < spec["high"]
    if kind == "gt":
        return _public_key(parsed) > spec["key"]
    if kind == "gt_no_post":
        if _public_key(parsed) <= spec["key"]:
            return False
        return parsed["post"] == None or [key[0], key[1], parsed["pre"]] != spec["family"]
    if kind == "eq_exact":
        return key == spec["key"]
    if kind == "ne_exact":
        return key != spec["key"]
    fail("internal error: unknown specifier kind %r" % kind)

def specifier_matches(spec, version, parsed = None):
    """Whether `version` satisfies one specifier, with pre-releases allowed.

    Args:
      spec: a matcher from `try_parse_specifier` or `compile_specifiers`.
      version: the version text (used as-is by `===`).
      parsed: optionally `try_parse_version(version)`, to skip parsing again.

    Returns:
      A bool. A `version` that is not PEP 440 matches only `===` (as in packaging).
    """
    if spec["kind"] == "arbitrary":
        return version.lower() == spec["text"]
    if parsed == None:
        parsed = try_parse_version(version)
        if parsed == None:
            return False
    return _matches_parsed(spec, parsed)

def version_satisfies(version, specifiers):
    """Whether a concrete version satisfies a specifier set (pre-releases allowed).

    Same answer as `SpecifierSet(specifiers).contains(version, prereleases=True)`, but
    fails when `version` is not PEP 440 and a specifier other than `===` needs it.

    Args:
      version: e.g. `"3.11.4"`.
      specifiers: a comma-separated set as text (`">=3.9, <4"`) or the result of
        `compile_specifiers`.

    Returns:
      True when every specifier matches (so always for an empty set).
    """
    specs = compile_specifiers(specifiers) if type(specifiers) == "string" else specifiers
    parsed = None
    for spec in specs:
        if spec["kind"] == "arbitrary":
            if not specifier_matches(spec, version):
                return False
            continue
        if parsed == None:
            parsed = _parse_or_fail(version, "version to check against specifiers")
        if not _matches_parsed(spec, parsed):
            return False
    return True
