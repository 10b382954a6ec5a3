"""Calls into the ruleset's Starlark, answered by real Bazel 4.2.3 in one build per session.

The differential tests (TOML, PEP 440, markers, wheel tags) compare what the real ``.bzl``
functions answer with what the reference libraries (``tomllib``, ``packaging``) answer.
The Starlark side runs inside Bazel; the comparison stays in pytest, next to the
reference, so every assertion reads as before.

How: each module in ``MODULES`` defines ``starlark_calls(calls, request)``, which makes
every Starlark call its tests will make (same functions, same arguments) on a recorder.
The session fixture ``starlark_bazel`` writes all of them into ONE generated workspace --
one target per call, so a call that fails does not hide the others -- and runs one
``bazel build --keep_going --nobuild`` there (analysis only; the server start and the
analysis are the cost). Each target's implementation makes its call and prints the answer
as tagged JSON; a call that fails leaves Bazel's error, which becomes ``StarlarkFail``.
Tests then make the same calls on the fixture's answers
(``starlark_bazel.load(label).fn(*args)``); a call nobody declared is an error that says
where to declare it. Arguments and answers are JSON-like values, so a test that feeds one
call's answer into the next declares the chain as one call of a test-only file loaded with
``load_source`` (tests/support/hub_calls.bzl: lock -> plan -> render).
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
from typing import Any

from tests.support.bazel import BAZEL, REPO_ROOT, BazelWorkspace
from tests.support.starlark_values import Struct

# The test modules whose Starlark calls the session's Bazel build answers.
MODULES = [
    "tests.test_pep440",
    "tests.test_markers",
    "tests.test_wheel_tags",
    "tests.test_toml",
    "tests.test_graph",
    "tests.test_lock_validation",
    "tests.test_planner",
    "tests.test_variants",
    "tests.test_workspace_lock",
]


class StarlarkFail(Exception):
    """The Starlark call failed in Bazel; ``message`` is Bazel's message for it."""

    def __init__(self, message: str, traceback: str = ""):
        super().__init__(message)
        self.message = message
        self.traceback = traceback

    def __str__(self) -> str:
        return self.message


def _plain(value: Any) -> Any:
    """Python arguments -> JSON data (tuples become lists, as Starlark code sees them)."""
    if isinstance(value, Struct):
        return {k: _plain(v) for k, v in vars(value).items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, str | bool | int | float):
        return value
    raise TypeError(f"cannot pass a {type(value).__name__} to Starlark: {value!r}")


def _key(label: str, symbol: str, args: tuple, kwargs: dict) -> str:
    return json.dumps([label, symbol, _plain(list(args)), _plain(kwargs)], sort_keys=True)


def _decode(data: Any) -> Any:
    """The tagged JSON the call rule writes -> Python values."""
    if not isinstance(data, dict):
        return data
    ((tag, value),) = data.items()
    if tag == "l":
        return [_decode(v) for v in value]
    if tag == "t":
        return tuple(_decode(v) for v in value)
    if tag == "d":
        return {_decode(k): _decode(v) for k, v in value}
    if tag == "s":
        return Struct({_decode(k): _decode(v) for k, v in value})
    if tag == "f":
        return float(value)
    if tag == "b":
        return _text(value)
    if tag == "o":
        return ("<starlark>", value)
    raise ValueError(f"unknown tag {tag!r}")


class _Module:
    """``calls.load(label)``: attribute access names a symbol of the file."""

    def __init__(self, owner, label: str):
        self._owner = owner
        self._label = label

    def __getattr__(self, symbol: str):
        if symbol.startswith("_"):
            raise AttributeError(symbol)
        return lambda *args, **kwargs: self._owner.call(self._label, symbol, args, kwargs)


class _Base:
    def load(self, label: str) -> _Module:
        """A file of this checkout, e.g. ``//uv/private:pep440.bzl``."""
        return _Module(self, label)

    def load_source(self, label: str, source: str) -> _Module:
        """Test-only Starlark (loads of ``//uv/...``) written into the workspace as ``label``."""
        self.sources[label] = source
        return _Module(self, label)


class Recorder(_Base):
    """What ``starlark_calls`` records on: every call returns None and is remembered."""

    def __init__(self):
        self.sources: dict[str, str] = {}
        self.calls: dict[str, tuple] = {}

    def call(self, label: str, symbol: str, args: tuple, kwargs: dict) -> None:
        self.calls.setdefault(_key(label, symbol, args, kwargs), (label, symbol, args, kwargs))


class Answers(_Base):
    """The session's answers; ``load(label).fn(*args)`` returns what Bazel computed."""

    def __init__(self, answers: dict[str, Any], sources: dict[str, str], seconds: float):
        self._answers = answers
        self.sources = sources
        self.seconds = seconds

    def call(self, label: str, symbol: str, args: tuple, kwargs: dict) -> Any:
        key = _key(label, symbol, args, kwargs)
        if key not in self._answers:
            raise AssertionError(
                f"{label} {symbol}(...) with these arguments was not declared: add the call to "
                f"the test module's starlark_calls (tests/support/starlark_bazel.py)"
            )
        ok, value = self._answers[key]
        if not ok:
            raise StarlarkFail(*value)
        return value


# --------------------------------------------------------------------------- the workspace

_CALL_BZL = r'''"""One Starlark call per target, made during analysis; prints its answer."""

load(":functions.bzl", "FUNCTIONS")
load(":calls.bzl", "CALLS")

# Methods that struct has in Bazel 4.2.3 unless --incompatible_struct_has_no_methods.
_STRUCT_METHODS = ["to_json", "to_proto"]

def _encode(value):
    """Tagged JSON without recursion (Starlark has none): containers keep their type."""
    out = []
    stack = [("v", value)]
    for _ in range(1 << 30):
        if not stack:
            break
        kind, v = stack.pop()
        if kind == "raw":
            out.append(v)
            continue
        t = type(v)
        seq = None
        if v == None or t == "bool" or t == "int":
            out.append(json.encode(v))
        elif t == "string":
            out.append('{"b":' + json.encode(v) + "}")
        elif t == "float":
            out.append('{"f":"' + str(v) + '"}')
        elif t == "list" or t == "tuple":
            seq = [("raw", '{"%s":[' % ("l" if t == "list" else "t"))]
            for i, x in enumerate(v):
                if i:
                    seq.append(("raw", ","))
                seq.append(("v", x))
            seq.append(("raw", "]}"))
        elif t == "dict" or t == "struct":
            if t == "dict":
                items = v.items()
            else:
                items = [(f, getattr(v, f)) for f in dir(v) if f not in _STRUCT_METHODS]
            seq = [("raw", '{"%s":[' % ("d" if t == "dict" else "s"))]
            for i, (k, x) in enumerate(items):
                seq.append(("raw", ",[" if i else "["))
                seq.append(("v", k))
                seq.append(("raw", ","))
                seq.append(("v", x))
                seq.append(("raw", "]"))
            seq.append(("raw", "]}"))
        else:
            out.append('{"o":' + json.encode(str(v)) + "}")
        if seq:
            stack.extend(reversed(seq))
    return "".join(out)

def _starlark_call_impl(ctx):
    function, args, kwargs = CALLS[ctx.attr.index]
    value = FUNCTIONS[function]
    if args != None:
        value = value(*args, **kwargs)
    # Printed, not written: the build then needs no execution phase (--nobuild).
    print("starlark_call %d: %s" % (ctx.attr.index, _encode(value)))
    return []

starlark_call = rule(
    implementation = _starlark_call_impl,
    attrs = {"index": attr.int(doc = "The call's index in CALLS.")},
)
'''


def _starlark_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _workspace_label(label: str) -> str:
    """A label of this checkout as the generated workspace loads it."""
    if label.startswith("//uv/") or label.startswith("//py/"):
        return "@rules_pyuv" + label
    package, _, name = label.partition(":")
    return "//calls/" + package.strip("/").replace("/", "_") + ":" + name


def _rewrite_loads(source: str) -> str:
    return re.sub(r'"//(uv|py)/', r'"@rules_pyuv//\1/', source)


_ANSWER = re.compile(r"^DEBUG: .*?: starlark_call (\d+): (.*)$", re.M)
_ERROR = re.compile(r"^ERROR: .*? in starlark_call rule //calls:c(\d+): ?(.*)$")


def _failures(stderr: str) -> dict[int, tuple[str, str]]:
    """Index -> (message, traceback) of every call whose analysis failed."""
    out: dict[int, tuple[str, str]] = {}
    lines = stderr.splitlines()
    i = 0
    while i < len(lines):
        match = _ERROR.match(lines[i])
        i += 1
        if not match:
            continue
        block = [match.group(2)] if match.group(2) else []
        while i < len(lines) and not lines[i].startswith(("ERROR:", "INFO:", "WARNING:", "DEBUG:")):
            block.append(lines[i])
            i += 1
        text = "\n".join(block)
        m = re.search(r"^Error(?: in \w+)?: (.*)\Z", text, re.M | re.S)
        message = m.group(1) if m else text
        out[int(match.group(1))] = (_text(message), _text(text))
    return out


def _text(latin1: str) -> str:
    """A Bazel string (bytes as Latin-1 characters) as text; stray bytes stay visible."""
    return latin1.encode("latin-1").decode("utf-8", "backslashreplace")


def _build(workspace: BazelWorkspace, *args: str) -> tuple[int, str]:
    """``bazel build``, its stderr kept byte for byte (Bazel prints its strings' bytes)."""
    argv = [str(BAZEL), *workspace._startup(), "build", "--color=no", "--curses=no"]
    argv += [f"--repository_cache={workspace.caches.repository_cache}", *args]
    if os.environ.get("RULES_PYUV_BAZEL4_DEFAULTS") == "1":
        argv.append("--config=bazel4_defaults")
    proc = subprocess.run(
        argv,
        cwd=workspace.root,
        env={k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))},
        capture_output=True,
        timeout=1800,
        stdin=subprocess.DEVNULL,
    )
    return proc.returncode, proc.stderr.decode("latin-1")


def run_calls(workspace: BazelWorkspace, recorder: Recorder) -> dict[str, Any]:
    """Writes every recorded call into ``workspace``, builds them all, returns the answers."""
    calls = list(recorder.calls.items())
    symbols = sorted({(label, symbol) for _, (label, symbol, _, _) in calls})
    alias = {pair: f"f{i}" for i, pair in enumerate(symbols)}
    for label, source in recorder.sources.items():
        package, _, name = _workspace_label(label)[2:].partition(":")
        workspace.write(f"{package}/BUILD.bazel", "")
        (workspace.root / package / name).write_text(_rewrite_loads(source), encoding="utf-8")
    loads = [
        f'load("{_workspace_label(label)}", {alias[(label, symbol)]} = "{symbol}")'
        for label, symbol in symbols
    ]
    entries = ", ".join(
        f'"{label}%{symbol}": {alias[(label, symbol)]}' for label, symbol in symbols
    )
    workspace.write("calls/functions.bzl", "\n".join(loads) + f"\n\nFUNCTIONS = {{{entries}}}\n")
    data = [
        [f"{label}%{symbol}", _plain(list(args)), _plain(kwargs)]
        for _, (label, symbol, args, kwargs) in calls
    ]
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    (workspace.root / "calls" / "calls.bzl").write_text(
        f"CALLS = json.decode({_starlark_string(text)})\n", encoding="utf-8"
    )
    workspace.write("calls/call.bzl", _CALL_BZL)
    targets = "\n".join(f'starlark_call(name = "c{i}", index = {i})' for i in range(len(calls)))
    workspace.write("calls/BUILD.bazel", f'load(":call.bzl", "starlark_call")\n\n{targets}\n')
    _, stderr = _build(workspace, "--keep_going", "--nobuild", "//calls:all")
    failures = _failures(stderr)
    printed = {int(m.group(1)): m.group(2) for m in _ANSWER.finditer(stderr)}
    answers: dict[str, Any] = {}
    for i, (key, (label, symbol, _, _)) in enumerate(calls):
        if i in failures:
            answers[key] = (False, failures[i])
        elif i in printed:
            answers[key] = (True, _decode(json.loads(printed[i])))
        else:
            raise AssertionError(
                f"Bazel neither answered nor failed call c{i} ({label} {symbol}):\n{_text(stderr)}"
            )
    return answers


def record_all(request) -> Recorder:
    """Every call that the modules in MODULES declare."""
    recorder = Recorder()
    for name in MODULES:
        importlib.import_module(name).starlark_calls(recorder, request)
    return recorder


__all__ = ["REPO_ROOT", "Answers", "Recorder", "StarlarkFail", "Struct", "record_all", "run_calls"]
