"""PEP 508 environment markers, in pure Starlark.

The planner evaluates every marker of a `uv.lock` once per target platform, with an
environment built by `marker_env` from the target's os, cpu and Python version, never
from the host. The reference behaviour is `packaging.markers.Marker(text).evaluate()` of
`packaging` 26:

* `and` binds tighter than `or`; parentheses; both quote styles; a variable on either
  side (`'linux' == sys_platform`); the dotted aliases `os.name`, `sys.platform`,
  `platform.version`, `platform.machine`, `platform.python_implementation` and
  `python_implementation`.
* For `python_version`, `python_full_version`, `implementation_version` and
  `platform_release`, when `<op><right-hand side>` is a valid PEP 440 specifier the
  comparison is `Specifier.contains(left-hand side, prereleases=True)` (so
  `python_version == '3.*'` is a prefix match, and a left-hand side that is not a
  version, like an unknown `platform_release` of `""`, matches nothing, even `!=`).
* Otherwise the operands are strings: `==`, `!=`, `in` and `not in` (substring) as in
  Python; `<` and `>` are false and `<=`/`>=` mean `==` (packaging 26); `~=` and `===`
  fail (already when parsed if the right-hand side is the literal).
* `extra == 'name'` is true when the name, normalised as in PEP 685 (lower case, runs of
  `-_.` turned into `-`), is one of `extras` (also normalised). `!=` and `not in` are
  true when no extra makes the positive form true; with no extras the value of `extra`
  is `""`, as in packaging's metadata context. So with zero or one extra the result is
  exactly packaging's.
* `group == 'name'` (the form uv writes for dependency groups) works the same way
  against `groups`. PEP 751's `'name' in extras` and `'name' in dependency_groups`
  (and `not in`) test membership in `extras`/`groups`.
* uv's conflict markers, e.g. `extra == 'extra-7-project-foo'` or
  `extra == 'group-5-app-dev'`, need nothing special: they are plain names compared
  with the lists the caller passes (which then must hold those encoded names).

Deliberate differences from packaging, all of which fail with a clear message where
packaging would answer something arbitrary or raise later: a comparison of two
variables or of two strings; `extras`/`dependency_groups` outside the `'x' in ...` form;
backslashes or line breaks inside a quoted string (packaging would apply Python escape
rules). An empty marker (only whitespace) is true: it is how "no marker" reads.
"""

load(":names.bzl", "normalize_name")
load(":pep440.bzl", "specifier_matches", "try_parse_specifier", "try_parse_version")

_WORD_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_."
_OPERATOR_CHARS = "=!<>~"
_TWO_CHAR_OPERATORS = ["==", "!=", "<=", ">=", "~="]

# Marker variable spellings (PEP 508 and the legacy dotted ones packaging accepts),
# mapped to their environment key. `group` is uv's; `extras`/`dependency_groups` PEP 751's.
_VARIABLES = {
    "dependency_groups": "dependency_groups",
    "extra": "extra",
    "extras": "extras",
    "group": "group",
    "implementation_name": "implementation_name",
    "implementation_version": "implementation_version",
    "os.name": "os_name",
    "os_name": "os_name",
    "platform.machine": "platform_machine",
    "platform.python_implementation": "platform_python_implementation",
    "platform.version": "platform_version",
    "platform_machine": "platform_machine",
    "platform_python_implementation": "platform_python_implementation",
    "platform_release": "platform_release",
    "platform_system": "platform_system",
    "platform_version": "platform_version",
    "python_full_version": "python_full_version",
    "python_implementation": "platform_python_implementation",
    "python_version": "python_version",
    "sys.platform": "sys_platform",
    "sys_platform": "sys_platform",
}

# Variables compared as PEP 440 versions when the specifier parses.
_VERSION_VARIABLES = {
    "implementation_version": True,
    "platform_release": True,
    "python_full_version": True,
    "python_version": True,
}

# Variables whose value comes from the caller's extras/groups lists, not from `env`.
_NAME_VARIABLES = {"extra": "extras", "group": "groups"}
_SET_VARIABLES = {"dependency_groups": "groups", "extras": "extras"}

_NEGATED = {"!=": True, "not in": True}
_NO_NAMES = {"": True}

# Values the interpreter reports on each target os (sys.platform, platform.system(),
# os.name) and cpu (platform.machine(), which differs per os).
_OS_VALUES = {
    "linux": ("linux", "Linux", "posix"),
    "macos": ("darwin", "Darwin", "posix"),
    "windows": ("win32", "Windows", "nt"),
}
_MACHINES = {
    ("linux", "aarch64"): "aarch64",
    ("linux", "x86_64"): "x86_64",
    ("macos", "aarch64"): "arm64",
    ("macos", "x86_64"): "x86_64",
    ("windows", "aarch64"): "ARM64",
    ("windows", "x86_64"): "AMD64",
}
_IMPLEMENTATIONS = {"cpython": "CPython", "pypy": "PyPy"}

def _span(text, start, chars):
    """Returns the end of the run of characters from `chars` that starts at `start`."""
    rest = text[start:]
    return start + len(rest) - len(rest.lstrip(chars))

def _syntax_error(text, position, message):
    """The message for a marker that does not parse; the parser returns it up the stack."""
    where = "at the end"
    if position < len(text):
        where = "at offset %d: %r" % (position, text[position:position + 20])
    return "invalid marker %r: %s (%s)" % (text, message, where)

def _read_string(text, i):
    """Reads a quoted string at `i`: returns (end, token, error)."""
    quote = text[i]
    end = text.find(quote, i + 1)
    if end < 0:
        return 0, None, _syntax_error(text, i, "unterminated string")
    value = text[i + 1:end]
    if "\\" in value or "\n" in value or "\r" in value:
        return 0, None, _syntax_error(text, i, "backslashes and line breaks are not supported in strings")
    return end + 1, ("str", value, i), None

def _read_operator(text, i):
    """Reads a comparison operator at `i`: returns (end, token, error)."""
    if text[i:i + 3] == "===":
        return i + 3, ("op", "===", i), None
    if text[i:i + 2] in _TWO_CHAR_OPERATORS:
        return i + 2, ("op", text[i:i + 2], i), None
    if text[i] in "<>":
        return i + 1, ("op", text[i], i), None
    return 0, None, _syntax_error(text, i, "expected one of <=, <, !=, ==, >=, >, ~=, ===, in, not in")

def _read_word(text, i):
    """Reads a variable, `and`, `or`, `in` or `not in` at `i`: returns (end, token, error)."""
    end = _span(text, i, _WORD_CHARS)
    word = text[i:end]
    if word == "and" or word == "or":
        return end, ("bool", word, i), None
    if word == "in":
        return end, ("op", "in", i), None
    if word == "not":
        after = _span(text, end, " \t")
        if after == end or text[after:_span(text, after, _WORD_CHARS)] != "in":
            return 0, None, _syntax_error(text, end, "expected ' in' after 'not'")
        return after + 2, ("op", "not in", i), None
    if word in _VARIABLES:
        return end, ("var", _VARIABLES[word], i), None
    return 0, None, _syntax_error(text, i, "unknown marker variable or keyword %r" % word)

def _tokenize(text):
    """Splits marker text into (kind, value, offset) tokens: returns (tokens, error)."""
    tokens = []
    i = 0
    for _ in range(len(text) + 1):
        i = _span(text, i, " \t")
        if i >= len(text):
            break
        c = text[i]
        error = None
        if c == "(" or c == ")":
            tokens.append((c, c, i))
            i += 1
            continue
        elif c == "'" or c == "\"":
            i, token, error = _read_string(text, i)
        elif c in _OPERATOR_CHARS:
            i, token, error = _read_operator(text, i)
        elif c in _WORD_CHARS:
            i, token, error = _read_word(text, i)
        else:
            return None, _syntax_error(text, i, "unexpected character %r" % c)
        if error:
            return None, error
        tokens.append(token)
    return tokens, None

def _make_atom(text, left, op, right):
    """Builds the compiled form of one `left op right` comparison: returns (atom, error)."""
    if left[0] == right[0]:
        return None, _syntax_error(text, left[2], "a comparison needs one marker variable and one " +
                                                  "quoted string, got two %s" % (
                                                      "variables" if left[0] == "var" else "strings"
                                                  ))
    reverse = left[0] == "str"
    var = right[1] if reverse else left[1]
    value = left[1] if reverse else right[1]
    if var in _SET_VARIABLES and (not reverse or op not in ("in", "not in")):
        return None, _syntax_error(text, left[2], "%s can only be used as '<name>' in %s" % (var, var))
    if var in _NAME_VARIABLES or var in _SET_VARIABLES:
        value = normalize_name(value)
    if op in ("~=", "===") and var in _NAME_VARIABLES:
        return None, _syntax_error(text, left[2], "%s cannot be compared with %s" % (var, op))
    spec = None
    if var in _VERSION_VARIABLES and not reverse and op not in ("in", "not in"):
        # packaging builds the specifier from the operator and the right-hand side; when
        # that is the literal, compile it once here.
        spec = try_parse_specifier(op + value)
    if op in ("~=", "===") and not reverse and spec == None:
        # Evaluation would compare strings, for which these operators are undefined.
        return None, _syntax_error(text, left[2], "%s %s %r is not a PEP 440 version comparison" % (var, op, value))
    return {"op": op, "reverse": reverse, "spec": spec, "value": value, "var": var}, None

def _pop_operators(stack, output, stop_at_or):
    """Moves `and`/`or` from the operator stack to the output, down to a `(`."""
    for _ in range(len(stack)):
        top = stack[len(stack) - 1]
        if top == "(" or (stop_at_or and top == "or"):
            break
        output.append(stack.pop())

def _to_rpn(text, tokens):
    """Shunting-yard: checks the grammar; returns (the reverse Polish form, error)."""
    output = []
    stack = []
    want_operand = True
    i = 0
    for _ in range(len(tokens)):
        if i >= len(tokens):
            break
        kind, value, offset = tokens[i]
        if want_operand and kind == "(":
            stack.append("(")
            i += 1
        elif want_operand and (kind == "var" or kind == "str"):
            if i + 2 >= len(tokens):
                return None, _syntax_error(text, offset, "incomplete comparison")
            if tokens[i + 1][0] != "op":
                return None, _syntax_error(text, tokens[i + 1][2], "expected a comparison operator")
            if tokens[i + 2][0] != "var" and tokens[i + 2][0] != "str":
                return None, _syntax_error(text, tokens[i + 2][2], "expected a marker variable or quoted string")
            atom, error = _make_atom(text, tokens[i], tokens[i + 1][1], tokens[i + 2])
            if error:
                return None, error
            output.append(atom)
            want_operand = False
            i += 3
        elif want_operand:
            return None, _syntax_error(text, offset, "expected a marker variable, quoted string or '('")
        elif kind == "bool":
            # `and` binds tighter than `or`; both are left-associative.
            _pop_operators(stack, output, value == "and")
            stack.append(value)
            want_operand = True
            i += 1
        elif kind == ")":
            _pop_operators(stack, output, False)
            if not stack:
                return None, _syntax_error(text, offset, "unmatched ')'")
            stack.pop()
            i += 1
        else:
            return None, _syntax_error(text, offset, "expected 'and', 'or', ')' or the end")
    if want_operand:
        return None, _syntax_error(text, len(text), "expected a marker variable, quoted string or '('")
    _pop_operators(stack, output, False)
    if stack:
        return None, _syntax_error(text, len(text), "unmatched '('")
    return output, None

def try_parse_marker(text):
    """Compiles a PEP 508 marker without failing.

    Args:
      text: the marker text.

    Returns:
      (compiled marker as parse_marker returns it, None), or (None, a message naming the
      text and what is wrong).
    """
    if type(text) != "string":
        return None, "a marker must be a string, got %s" % type(text)
    if text.strip(" \t") == "":
        return {"rpn": [], "text": text}, None
    tokens, error = _tokenize(text)
    if error:
        return None, error
    rpn, error = _to_rpn(text, tokens)
    if error:
        return None, error
    return {"rpn": rpn, "text": text}, None

def parse_marker(text):
    """Compiles a PEP 508 marker; fails with a message naming the text if it is invalid.

    Args:
      text: e.g. `"python_version >= '3.9' and (sys_platform == 'linux' or extra == 'x')"`.

    Returns:
      A JSON-serialisable dict: `text`, and `rpn`, the marker in reverse Polish order
      (`"and"`, `"or"`, or a comparison dict with `var`, `op`, `value`, `reverse`, and
      `spec`, the precompiled version specifier or None). Pass it to `evaluate_marker`;
      callers that evaluate a marker many times should compile it once.
    """
    parsed, error = try_parse_marker(text)
    if error:
        fail(error)
    return parsed

def _string_compare(marker, op, lhs, rhs):
    """packaging 26's comparison of two strings."""
    if op == "==":
        return lhs == rhs
    if op == "!=":
        return lhs != rhs
    if op == "in":
        return lhs in rhs
    if op == "not in":
        return lhs not in rhs
    if op == "<=" or op == ">=":
        return lhs == rhs
    if op == "<" or op == ">":
        return False
    fail(("cannot evaluate marker %r: %r %s %r compares strings (the operands are not a " +
          "PEP 440 version and specifier), and %s is only defined for versions") % (
        marker["text"],
        lhs,
        op,
        rhs,
        op,
    ))

def _eval_name(marker, atom, names):
    """`extra`/`group`: true for some name; for `!=`/`not in`, true for all of them."""
    op = atom["op"]
    value = atom["value"]
    if not atom["reverse"] and op == "==":
        return value in names
    if not atom["reverse"] and op == "!=":
        return value not in names
    negated = op in _NEGATED
    for name in names:
        lhs, rhs = (value, name) if atom["reverse"] else (name, value)
        if _string_compare(marker, op, lhs, rhs) != negated:
            return not negated
    return negated

def _parsed(cache, text):
    """try_parse_version through the cache (False stands for "not a version")."""
    key = "v:" + text
    found = cache.get(key)
    if found == None:
        found = try_parse_version(text) or False
        cache[key] = found
    return found

def _reverse_spec(cache, op, rhs):
    key = "s:" + op + rhs
    found = cache.get(key)
    if found == None:
        found = try_parse_specifier(op + rhs) or False
        cache[key] = found
    return found

def _env_value(marker, env, var):
    value = env.get(var)
    if value == None:
        fail("cannot evaluate marker %r: the environment has no %r (it has %s)" % (
            marker["text"],
            var,
            ", ".join(sorted(env.keys())),
        ))
    if var == "python_full_version" and value.endswith("+"):
        # As packaging: CPython built from an untagged checkout reports "3.13.0+".
        value += "local"
    return value

def _eval_atom(marker, atom, env, names, cache):
    var = atom["var"]
    if var in _NAME_VARIABLES:
        # With no extras, `extra` is "" (as in packaging's metadata context).
        return _eval_name(marker, atom, names[_NAME_VARIABLES[var]] or _NO_NAMES)
    if var in _SET_VARIABLES:
        return (atom["value"] in names[_SET_VARIABLES[var]]) != (atom["op"] == "not in")
    op = atom["op"]
    value = _env_value(marker, env, var)
    lhs, rhs = (atom["value"], value) if atom["reverse"] else (value, atom["value"])
    if var in _VERSION_VARIABLES and op != "in" and op != "not in":
        spec = _reverse_spec(cache, op, rhs) if atom["reverse"] else atom["spec"]
        if spec:
            if spec["kind"] == "arbitrary":
                return specifier_matches(spec, lhs)
            parsed = _parsed(cache, lhs)
            return bool(parsed) and specifier_matches(spec, lhs, parsed)
    return _string_compare(marker, op, lhs, rhs)

def _name_set(names):
    return {normalize_name(n): True for n in names}

def evaluate_marker(marker, env, extras = [], groups = [], cache = None):
    """Evaluates a PEP 508 marker for one target environment.

    Args:
      marker: the marker text or the result of `parse_marker`.
      env: the environment, e.g. from `marker_env`: a dict with the PEP 508 variables
        (`python_version`, `sys_platform`, ...), all strings.
      extras: the extras that are active (for `extra == '...'` and `'...' in extras`).
      groups: the dependency groups that are active (for `group == '...'` and
        `'...' in dependency_groups`).
      cache: optionally a dict the caller keeps across calls with the same `env`; it
        saves parsing the environment's versions again for every marker.

    Returns:
      True or False. Fails with a message naming the marker when it is invalid or needs a
      variable `env` lacks.
    """
    compiled = parse_marker(marker) if type(marker) == "string" else marker
    rpn = compiled["rpn"]
    if not rpn:
        return True
    if cache == None:
        cache = {}
    names = {"extras": _name_set(extras), "groups": _name_set(groups)}
    stack = []
    for item in rpn:
        if item == "and":
            right = stack.pop()
            stack[len(stack) - 1] = stack[len(stack) - 1] and right
        elif item == "or":
            right = stack.pop()
            stack[len(stack) - 1] = stack[len(stack) - 1] or right
        else:
            stack.append(_eval_atom(compiled, item, env, names, cache))
    return stack[0]

def marker_env(os, cpu, python_version, implementation = "cpython"):
    """Builds the marker environment of a target platform, as its interpreter reports it.

    Args:
      os: `"linux"`, `"macos"` or `"windows"` (@platforms//os names).
      cpu: `"x86_64"` or `"aarch64"` (@platforms//cpu names).
      python_version: `"3.11"` (then `python_full_version` is `"3.11.0"`) or a full
        version such as `"3.11.4"` or `"3.13.0rc1"`.
      implementation: `"cpython"` or `"pypy"`.

    Returns:
      A dict with every PEP 508 variable. `platform_release` and `platform_version` are
      `""` (unknown for a target); `implementation_version` is the Python version for
      CPython and `""` for PyPy (whose own version the target does not tell).
    """
    if os not in _OS_VALUES:
        fail("marker_env: unknown os %r; expected one of %s" % (os, ", ".join(sorted(_OS_VALUES))))
    if (os, cpu) not in _MACHINES:
        fail("marker_env: unknown cpu %r; expected x86_64 or aarch64" % cpu)
    if implementation not in _IMPLEMENTATIONS:
        fail("marker_env: unknown implementation %r; expected cpython or pypy" % implementation)
    parts = python_version.split(".")
    if len(parts) < 2 or not parts[0].isdigit() or not parts[1].isdigit():
        fail("marker_env: python_version %r must look like \"3.11\" or \"3.11.4\"" % python_version)
    if try_parse_version(python_version) == None:
        fail("marker_env: python_version %r is not a PEP 440 version" % python_version)
    full = python_version if len(parts) > 2 else python_version + ".0"
    sys_platform, platform_system, os_name = _OS_VALUES[os]
    return {
        "implementation_name": implementation,
        "implementation_version": full if implementation == "cpython" else "",
        "os_name": os_name,
        "platform_machine": _MACHINES[(os, cpu)],
        "platform_python_implementation": _IMPLEMENTATIONS[implementation],
        "platform_release": "",
        "platform_system": platform_system,
        "platform_version": "",
        "python_full_version": full,
        "python_version": parts[0] + "." + parts[1],
        "sys_platform": sys_platform,
    }
