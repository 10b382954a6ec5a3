"""Evaluate the repository's real ``.bzl`` files in a real Starlark interpreter.

Modern Bazel (bzlmod) cannot run on the development machines, so the module-extension glue
and the pure-Starlark logic (lock parser, planner) are unit-tested here: ``StarlarkEnv``
evaluates ``.bzl`` files with ``starlark-pyo3`` (Python module ``starlark``; the Rust
``starlark`` crate underneath), injects Bazel-like predeclared symbols, and records what the
code asks Bazel to do (repositories, targets, native calls, files written by repository rules).

Typical use::

    env = StarlarkEnv(REPO_ROOT)                       # repo_name="rules_pyuv"
    lock = env.load("//uv/private:lock.bzl")           # or "@rules_pyuv//...", or a path
    model = lock.parse_lock(text)                      # Python in, Python out
    ext = env.load("//uv:extensions.bzl").uv           # a StarlarkRef (module_extension)
    res = env.run_module_extension(ext, [FakeModule("app", is_root=True, tags={
        "lock": [{"name": "pypi", "lockfile": "//:uv.lock"}]})],
        files={"//:uv.lock": LOCK_TEXT})
    assert [r.name for r in res.repos] == [...]; res.metadata
    files = env.run_repository_rule(res.repo("pypi"), files={"//:uv.lock": LOCK_TEXT})

What starlark-pyo3 2026.1.3 offers, and how this harness uses it
----------------------------------------------------------------
* ``Dialect``: attributes are write-only.  ``bazel_dialect()`` enables ``def``, ``lambda``,
  ``load`` and keyword-only arguments; disables f-strings, type annotations,
  positional-only parameters, top-level ``for``/``if`` (Bazel forbids them in ``.bzl``) and
  re-export of loaded symbols (Bazel's ``load`` bindings are file-local).  ``while`` is
  always a reserved word.  Recursion is NOT rejected (Bazel rejects it at run time).
* ``Globals``: only ``standard()`` or ``extended_by([LibraryExtension...])``; there is no way
  to add custom globals.  Extensions: StructType, RecordType, EnumType, Map, Filter,
  Partial, Debug, Print, Pprint, Breakpoint, Json, Typing, Internal, CallStack, RustDecimal.
  We enable StructType and Json only (the rest are not Bazel).  Its ``json`` has only
  ``encode``/``decode`` and encodes dicts/structs in insertion order (Bazel sorts keys), so
  ``json`` is re-implemented (encode in Python, as Bazel does).
* Predeclared symbols therefore come from a harness "prelude" module: every evaluated file
  first runs (in the same ``Module``) a hidden ``load("@harness//:prelude.bzl", ...)``;
  bindings of an earlier ``eval`` on a ``Module`` stay visible to later ones.  The prelude
  shadows ``str``/``type``/``print``/``fail``/``json`` with Starlark wrappers.
* ``load()`` works only through ``FileLoader(fn)``, where ``fn(module_id) -> FrozenModule``
  gets the raw string from the ``load`` statement and nothing else; the harness builds one
  loader per file so relative labels (``:x.bzl``) resolve against the loading file.  The
  interpreter does not cache: the harness caches frozen modules per env.
* Python callables (``Module.add_callable``) receive Starlark values converted as JSON
  (dict/list/str/int/float/bool/None; tuples become lists; structs become dicts; functions
  cannot be passed: "serde::serialize not supported on type function").  Return values
  must be JSON-serialisable (str keys only) or an ``OpaquePythonObject``, which round-trips
  back to Python as the original object (also nested inside lists/dicts).  So the harness
  tags values with marker dicts on both sides (``to_data``/``from_data`` in the prelude)
  to carry tuples, structs, Labels, paths and non-str dict keys across.
* A Starlark function can never reach Python.  To call one, the harness evaluates a small
  snippet module that ``load()``s it and calls it; private (``_x``) top-level names are
  reachable because each module gets public aliases ``harness_private__x`` after loading.
  ``Module[name]`` returns a converted value (``None`` for private/missing names).
* Exceptions raised by Python callables come back as ``starlark.StarlarkError`` whose text
  contains ``TypeName: message`` and the Starlark traceback; the original exception is not
  chained.  The harness keeps the first exception raised by its callbacks and re-raises
  it (``StarlarkFail`` for ``fail()``) with the Starlark traceback in ``.traceback``.
* ``struct`` values support ``==``, hashing, ``dir()`` (sorted), ``getattr``/``hasattr``;
  their ``str``/``%s``/``format`` form is ``struct(a=1)``.

Bazel builtins emulated, and the gaps
-------------------------------------
Predeclared in every file: ``struct``, ``fail``, ``print`` (captured in ``env.printed``),
``json`` (encode/decode(default=), keys sorted as in Bazel), ``Label``,
``select``, ``depset``, ``native`` (its functions fail: macros run in real Bazel), ``attr``,
``provider``, ``rule``, ``repository_rule``, ``module_extension``, ``tag_class``,
``config``, ``config_common``, ``platform_common``, ``exec_group``, ``transition``,
``aspect``, ``configuration_field``, ``visibility``, ``DefaultInfo``, ``OutputGroupInfo``,
``RunEnvironmentInfo``, ``InstrumentedFilesInfo``; ``str``/``type`` know the harness types.
There is no global ``toolchain_type`` in Bazel's ``.bzl`` API: use ``native.toolchain_type``
or ``config_common.toolchain_type``.

``Label`` and ``ctx.path`` results are structs (no custom types exist here).  ``str(x)`` and
``type(x) == "Label"``/``"path"`` work; ``"%s" % x`` and ``"{}".format(x)`` yield the struct
text *inside Starlark*, but every string that reaches Python (files written, argv, attrs,
messages, json.encode output, results) has that text replaced by the label/path string.
Missing: ``Label.relative``/``same_package_label`` (methods would break ``==`` and hashing),
``path.realpath``; ``path.exists`` is a snapshot taken when the path was made.
``select()`` returns a record struct, so ``select(...) + [...]`` fails.  ``depset`` is a
flattened list behind ``to_list()``.  Calling a ``rule()`` (a target) or ``native.*``
fails: macros run in real Bazel.  ``repository_rule`` calls, direct runs and module tags
are checked (unknown, private, mandatory, type, ``values``) with Bazel-like messages.
Strings given to label attributes of repository rules resolve against the main repository;
labels in tags against the module that wrote them (``""`` for the root).  ``json.encode``
formats floats the Python way.  Recursion is allowed (Bazel forbids it).
"""

from __future__ import annotations

import json as _json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import starlark as sl

from tests.support.starlark_values import Struct

__all__ = [
    "BazelError",
    "FakeModule",
    "HarnessError",
    "HarnessUnsupported",
    "Label",
    "ModuleExtensionResult",
    "Opaque",
    "RecordedRule",
    "RecordingModuleCtx",
    "RecordingRepositoryCtx",
    "RepositoryRuleResult",
    "StarlarkEnv",
    "StarlarkEvalError",
    "StarlarkFail",
    "StarlarkModule",
    "StarlarkRef",
    "Struct",
    "VirtualPath",
    "bazel_dialect",
    "bazel_globals",
]

WORKSPACE_ROOT = "/harness/workspace"
"""Virtual path of the main repository (labels ``@@//...``)."""
EXTERNAL_ROOT = "/harness/external"
"""Virtual parent of external repositories (``@@foo//x:y`` is ``EXTERNAL_ROOT/foo/x/y``)."""
EXTENSION_DIR = "/harness/module_extension"
"""Working directory of ``module_ctx`` (relative paths resolve here)."""

PRELUDE_LABEL = "@harness//:prelude.bzl"
_PRIVATE_ALIAS = "harness_private_"
_TOP_LEVEL_NAME = re.compile(r"^(?:def\s+([A-Za-z_]\w*)|([A-Za-z_]\w*)\s*=(?!=))", re.M)
_REPO_NAME = re.compile(r"^[A-Za-z0-9_.~+-]+$")


# --------------------------------------------------------------------------- errors


class StarlarkEvalError(Exception):
    """Evaluating Starlark failed; ``message`` is the short reason, ``traceback`` the stack."""

    def __init__(self, message: str, traceback: str | None = None):
        super().__init__(message)
        self.message = message
        self.traceback = traceback

    def __str__(self) -> str:
        if self.traceback:
            return f"{self.message}\n{self.traceback}"
        return self.message


class StarlarkFail(StarlarkEvalError):
    """The Starlark code called ``fail()``; ``message`` is exactly what Bazel would print."""


class BazelError(StarlarkEvalError):
    """An error Bazel itself reports (bad attribute, duplicate repository, invalid label)."""


class HarnessError(StarlarkEvalError):
    """The harness cannot do what was asked (missing stub, not a rule, ...)."""


class HarnessUnsupported(HarnessError):
    """A ctx operation that needs a fake the test did not register (download, execute)."""


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, order=True)
class Label:
    """A Bazel label; ``repo == ""`` is the main repository.  ``str()`` is canonical."""

    repo: str
    package: str
    name: str

    @classmethod
    def parse(cls, text: str, repo: str = "", package: str = "") -> Label:
        """Parses ``text`` like Bazel, relative to ``repo`` and ``package``."""
        if not isinstance(text, str) or not text:
            raise BazelError(f"invalid label {text!r}: empty or not a string")
        rest = text
        if rest.startswith("@"):
            rest = rest[2:] if rest.startswith("@@") else rest[1:]
            if "//" in rest:
                repo, rest = rest.split("//", 1)
            else:
                repo, rest = rest, ":" + rest
            package = ""
            if not rest.startswith(":"):
                rest = "//" + rest
        if rest.startswith("//"):
            target = rest[2:]
            package, colon, name = target.partition(":")
            if not colon:
                name = package.rsplit("/", 1)[-1]
        elif rest.startswith(":"):
            name = rest[1:]
        else:
            name = rest
        if not name or package.startswith("/") or package.endswith("/") or ".." in package:
            raise BazelError(f"invalid label {text!r}")
        if repo and not _REPO_NAME.match(repo):
            raise BazelError(f"invalid repository name in label {text!r}")
        return cls(repo, package, name)

    @property
    def repo_name(self) -> str:
        return self.repo

    @property
    def workspace_name(self) -> str:
        return self.repo

    def virtual_path(self) -> str:
        """Where the harness's virtual filesystem keeps the file this label names."""
        root = f"{EXTERNAL_ROOT}/{self.repo}" if self.repo else WORKSPACE_ROOT
        return "/".join(p for p in (root, self.package, self.name) if p)

    def __str__(self) -> str:
        return f"@@{self.repo}//{self.package}:{self.name}"


@dataclass(frozen=True)
class Opaque:
    """A Starlark value with no Python form (a function, a ctx, ...): its type and repr."""

    type: str
    repr: str


class VirtualPath(str):
    """A path in the harness's virtual filesystem (what ``str(ctx.path(x))`` gives)."""


class RecordedRule(NamedTuple):
    """One call of a repository rule or rule: ``(rule_name, attrs)``; attrs include ``name``."""

    rule_name: str
    attrs: dict

    @property
    def name(self) -> str:
        return self.attrs.get("name")


@dataclass
class FakeModule:
    """A Bazel module as a module extension sees it; ``tags`` maps tag class -> attr dicts."""

    name: str
    version: str = ""
    is_root: bool = False
    tags: Mapping[str, list[Mapping[str, Any]]] = field(default_factory=dict)
    dev_tags: Mapping[str, list[Mapping[str, Any]]] = field(default_factory=dict)


class StarlarkRef:
    """A Starlark value that stays in Starlark (function, rule, module extension, ...).

    Callable when the value is; ``info`` holds its converted fields when it is a struct.
    """

    def __init__(self, env, label, symbol, accessors=(), kind="function", info=None):
        self._env = env
        self.label = label
        self.symbol = symbol
        self.accessors = tuple(accessors)
        self.kind = kind
        self.info = info

    def __call__(self, *args, **kwargs):
        return self._env._call(self, args, kwargs)

    def expression(self, alias: str) -> str:
        """Starlark expression reaching this value from ``alias`` (the loaded symbol)."""
        out = alias
        for op, key in self.accessors:
            out += f".{key}" if op == "." else f"[{_json.dumps(key)}]"
        return out

    def __repr__(self) -> str:
        path = self.expression(self.symbol)
        return f"<StarlarkRef {self.kind} {self.label}%{path}>"


class StarlarkModule:
    """The top-level symbols of a loaded ``.bzl`` file; private ones too (``ns._helper``)."""

    def __init__(self, env: StarlarkEnv, label: Label, names: list[str]):
        self._env = env
        self.label = label
        self.names = names

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._env._get(self.label, name)

    __getitem__ = __getattr__

    def __dir__(self) -> list[str]:
        return list(self.names)

    def __repr__(self) -> str:
        return f"<StarlarkModule {self.label}>"


# --------------------------------------------------------------------------- conversions


def _encode(value: Any, refs: list | None = None) -> Any:
    """Python value -> JSON-able data with markers that the prelude's ``from_data`` reads."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, VirtualPath):
        return {"__harness_path__": str(value)}
    if isinstance(value, str):
        return value
    if isinstance(value, Label):
        return {"__harness_label__": [value.repo, value.package, value.name]}
    if isinstance(value, StarlarkRef):
        if refs is None:
            raise TypeError(f"cannot pass {value!r} here")
        refs.append(value)
        return {"__harness_ref__": len(refs) - 1}
    if isinstance(value, sl.OpaquePythonObject):
        return value
    if isinstance(value, Struct):
        fields = {k: _encode(v, refs) for k, v in vars(value).items()}
        return {"__harness_struct__": fields, "kind": value._starlark_kind}
    if isinstance(value, tuple):
        return {"__harness_tuple__": [_encode(v, refs) for v in value]}
    if isinstance(value, list):
        return [_encode(v, refs) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: _encode(v, refs) for k, v in value.items()}
        return {
            "__harness_dict__": [[_encode(k, refs), _encode(v, refs)] for k, v in value.items()]
        }
    raise TypeError(f"cannot pass a {type(value).__name__} to Starlark: {value!r}")


_CALLABLE_KINDS = {"function", "repository_rule", "rule", "provider", "builtin_function_or_method"}
_REF_STRUCT_KINDS = {"module_extension", "tag_class", "aspect", "transition"}


def _decode(data: Any, ref=None) -> Any:
    """Data from the prelude's ``to_data`` -> Python; ``ref`` locates it for callables."""
    if isinstance(data, str):
        return _unstruct(data)
    if isinstance(data, list):
        return [_decode(v, _sub(ref, "[]", i)) for i, v in enumerate(data)]
    if not isinstance(data, dict):
        return data
    if "__harness_label__" in data:
        return Label(*data["__harness_label__"])
    if "__harness_path__" in data:
        return VirtualPath(data["__harness_path__"])
    if "__harness_tuple__" in data:
        items = data["__harness_tuple__"]
        return tuple(_decode(v, _sub(ref, "[]", i)) for i, v in enumerate(items))
    if "__harness_dict__" in data:
        return {_decode(k): _decode(v) for k, v in data["__harness_dict__"]}
    if "__harness_struct__" in data:
        kind = data.get("kind")
        fields = data["__harness_struct__"]
        result = Struct({k: _decode(v, _sub(ref, ".", k)) for k, v in fields.items()})
        result._starlark_kind = kind
        if ref is not None and kind in _REF_STRUCT_KINDS:
            return StarlarkRef(ref._env, ref.label, ref.symbol, ref.accessors, kind, result)
        return result
    if "__harness_opaque__" in data:
        kind = data["__harness_opaque__"]
        if ref is not None and kind in _CALLABLE_KINDS:
            return StarlarkRef(ref._env, ref.label, ref.symbol, ref.accessors, kind)
        return Opaque(kind, data.get("repr", ""))
    return {k: _decode(v, _sub(ref, "[]", k)) for k, v in data.items()}


_STRUCT_HEAD = re.compile(
    r'struct\(__harness_kind__="(?:path|Label)", __harness_(?:path|label)__=("(?:[^"\\]|\\.)*")'
)


def _unstruct(text: str) -> str:
    """Replaces the struct text of Labels and paths (``"%s" % label``) by their string form.

    Starlark's ``%`` and ``format`` print structs as ``struct(...)``; the harness's Label and
    path structs start with their string form, so strings reaching Python are repaired.
    """
    if "struct(__harness_kind__=" not in text:
        return text
    out, i = [], 0
    while (m := _STRUCT_HEAD.search(text, i)) is not None:
        out.append(text[i : m.start()])
        try:
            out.append(_json.loads(m.group(1)))
        except ValueError:
            out.append(m.group(1)[1:-1])
        i = _after_parens(text, m.start() + len("struct"))
    out.append(text[i:])
    return "".join(out)


def _after_parens(text: str, i: int) -> int:
    """Index just after the parenthesis group that opens at ``text[i]``."""
    depth, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


def _sub(ref, op, key):
    if ref is None:
        return None
    return StarlarkRef(ref._env, ref.label, ref.symbol, ref.accessors + ((op, key),), ref.kind)


def json_encode(data: Any) -> str:
    """Bazel's ``json.encode`` on ``to_data`` output: compact, dict and struct keys sorted."""

    def conv(v: Any) -> Any:
        if isinstance(v, str):
            return _unstruct(v)
        if isinstance(v, list):
            return [conv(x) for x in v]
        if not isinstance(v, dict):
            if isinstance(v, float) and (v != v or abs(v) == float("inf")):
                raise BazelError(f"cannot encode non-finite float {v}")
            return v
        for marker, kind in (("__harness_label__", "Label"), ("__harness_path__", "path")):
            if marker in v:
                raise BazelError(f"cannot encode {kind} as JSON")
        if "__harness_opaque__" in v:
            raise BazelError(f"cannot encode {v['__harness_opaque__']} as JSON")
        if "__harness_tuple__" in v:
            return [conv(x) for x in v["__harness_tuple__"]]
        if "__harness_dict__" in v:
            raise BazelError("dict has non-string key, want string")
        if "__harness_struct__" in v:
            v = v["__harness_struct__"]
        return {_unstruct(k): conv(v[k]) for k in sorted(v)}

    return _json.dumps(conv(data), ensure_ascii=False, separators=(",", ":"))


def _json_valid(text: str) -> bool:
    def reject(_: str) -> None:
        raise ValueError("non-finite")

    try:
        _json.loads(text, parse_constant=reject)
    except (ValueError, TypeError):
        return False
    return True


# --------------------------------------------------------------------------- interpreter


def bazel_dialect() -> sl.Dialect:
    """The Starlark dialect of Bazel ``.bzl`` files (see the module docstring)."""
    d = sl.Dialect.standard()
    d.enable_def = True
    d.enable_lambda = True
    d.enable_load = True
    d.enable_keyword_only_arguments = True
    d.enable_positional_only_arguments = False
    d.enable_types = sl.DialectTypes.DISABLE
    d.enable_load_reexport = False
    d.enable_top_level_stmt = False
    d.enable_f_strings = False
    return d


def bazel_globals() -> sl.Globals:
    """Interpreter builtins: the standard ones plus ``struct`` and (raw) ``json``."""
    return sl.Globals.extended_by([sl.LibraryExtension.StructType, sl.LibraryExtension.Json])


_BUILTINS_PASS = """
__builtin_str = str
__builtin_type = type
__builtin_json = json
__builtin_struct = struct
"""

_PRELUDE_EXPORTS = [
    "DefaultInfo",
    "OutputGroupInfo",
    "RunEnvironmentInfo",
    "InstrumentedFilesInfo",
    "aspect",
    "attr",
    "config",
    "config_common",
    "configuration_field",
    "depset",
    "exec_group",
    "fail",
    "json",
    "module_extension",
    "native",
    "platform_common",
    "print",
    "provider",
    "repository_rule",
    "rule",
    "select",
    "str",
    "struct",
    "tag_class",
    "transition",
    "type",
    "visibility",
]

_PREAMBLE = (
    "load({prelude}, {names}, __harness = 'harness')\n"
    "Label = __harness.label_factory(__harness_module)\n".format(
        prelude=_json.dumps(PRELUDE_LABEL),
        names=", ".join(_json.dumps(n) for n in _PRELUDE_EXPORTS),
    )
)

# The Bazel-like predeclared symbols, in Starlark.  ``__py_*`` are Python callbacks.
_PRELUDE = r'''
struct = __builtin_struct
_SCALARS = ["NoneType", "bool", "int", "float", "string"]
_UNBOUND = __builtin_struct(__harness_unbound__ = True)
_FUNCTION_KINDS = [
    (".__harness_repository_rule", "repository_rule"),
    (".__harness_rule", "rule"),
    (".__harness_provider", "provider"),
    (".__harness_provider_raw", "provider"),
    (".__harness_native", "builtin_function_or_method"),
    (".__harness_ctx_method", "builtin_function_or_method"),
]
_TYPE_NAMES = {
    "provider": "Provider",
    "aspect": "Aspect",
    "configuration_field": "LateBoundDefault",
}

def _error(kind, msg):
    __py_error(kind, msg)

def _kind(v):
    t = __builtin_type(v)
    if t == "struct":
        return getattr(v, "__harness_kind__", None)
    if t == "function":
        s = __builtin_str(v)
        for suffix, kind in _FUNCTION_KINDS:
            if s.endswith(suffix):
                return kind
    return None

def type(x):
    k = _kind(x)
    if k != None:
        return _TYPE_NAMES.get(k, k)
    return __builtin_type(x)

def _label(repo, package, name):
    if __harness_label_style == "workspace":
        text = "%s//%s:%s" % (("@" + repo) if repo else "", package, name)
    else:
        text = "@@%s//%s:%s" % (repo, package, name)
    return __builtin_struct(
        __harness_kind__ = "Label",
        __harness_label__ = text,
        name = name,
        package = package,
        repo_name = repo,
        workspace_name = repo,
        workspace_root = ("external/" + repo) if repo else "",
    )

def str(x):
    if __builtin_type(x) == "struct":
        k = getattr(x, "__harness_kind__", None)
        if k == "Label":
            return x.__harness_label__
        if k == "path":
            return x.__harness_path__
    return __builtin_str(x)

def _to_label(v, module):
    if _kind(v) == "Label":
        return v
    if __builtin_type(v) != "string":
        _error("BazelError", "expected a label string or Label, got %s" % type(v))
    parts = __py_parse_label(v, module[0], module[1])
    return _label(parts[0], parts[1], parts[2])

def _label_factory(module):
    def Label(label_string):
        return _to_label(label_string, module)
    return Label

def _message(args, sep):
    return sep.join([x if __builtin_type(x) == "string" else str(x) for x in args])

def fail(*args, msg = None, attr = None, sep = " "):
    if msg != None:
        args = (msg,) + args
    text = _message(args, sep)
    if attr != None:
        text = "attribute %s: %s" % (attr, text)
    __py_fail(text)

def print(*args, sep = " "):
    __py_print(_message(args, sep))

# ---- conversions between Starlark and the harness's JSON-with-markers data

def _to_data(v):
    t = __builtin_type(v)
    if t in _SCALARS:
        return v
    if t == "list":
        return [_to_data(x) for x in v]
    if t == "tuple":
        return {"__harness_tuple__": [_to_data(x) for x in v]}
    if t == "dict":
        if all([__builtin_type(k) == "string" for k in v]):
            return {k: _to_data(x) for k, x in v.items()}
        return {"__harness_dict__": [[_to_data(k), _to_data(x)] for k, x in v.items()]}
    kind = _kind(v)
    if t == "struct":
        if kind == "Label":
            return {"__harness_label__": [v.repo_name, v.package, v.name]}
        if kind == "path":
            return {"__harness_path__": v.__harness_path__}
        if kind == "depset":
            items = _to_data(v.to_list())
            return {"__harness_struct__": {"items": items, "order": v.order}, "kind": kind}
        fields = {}
        for f in dir(v):
            if not f.startswith("__harness"):
                fields[f] = _to_data(getattr(v, f))
        return {"__harness_struct__": fields, "kind": kind}
    return {"__harness_opaque__": kind or t, "repr": __builtin_str(v)}

def _from_data(v, h = None, refs = None):
    t = __builtin_type(v)
    if t == "list":
        return [_from_data(x, h, refs) for x in v]
    if t != "dict":
        return v
    if "__harness_label__" in v:
        p = v["__harness_label__"]
        return _label(p[0], p[1], p[2])
    if "__harness_path__" in v:
        return _path(h, v)
    if "__harness_tuple__" in v:
        return tuple([_from_data(x, h, refs) for x in v["__harness_tuple__"]])
    if "__harness_dict__" in v:
        return {_from_data(k, h, refs): _from_data(x, h, refs) for k, x in v["__harness_dict__"]}
    if "__harness_struct__" in v:
        fields = {k: _from_data(x, h, refs) for k, x in v["__harness_struct__"].items()}
        if v.get("kind") != None:
            fields["__harness_kind__"] = v["kind"]
        return __builtin_struct(**fields)
    if "__harness_ref__" in v:
        return refs[v["__harness_ref__"]]
    return {k: _from_data(x, h, refs) for k, x in v.items()}

# ---- json, as in Bazel

def _json_encode(x):
    return __py_json_encode(_to_data(x))

def _json_decode(x, default = _UNBOUND):
    if default != _UNBOUND and not __py_json_valid(x):
        return default
    return __builtin_json.decode(x)

json = __builtin_struct(
    encode = _json_encode,
    decode = _json_decode,
)

# ---- attr and attribute checking

_ATTR_ZERO = {
    "bool": False,
    "int": 0,
    "int_list": [],
    "label": None,
    "label_keyed_string_dict": {},
    "label_list": [],
    "output": None,
    "output_list": [],
    "string": "",
    "string_dict": {},
    "string_keyed_label_dict": {},
    "string_list": [],
    "string_list_dict": {},
}
_TYPE_TEXT = {
    "int_list": "list(int)",
    "label_list": "list(label)",
    "output_list": "list(label)",
    "string_list": "list(string)",
    "string_dict": "dict(string, string)",
    "string_list_dict": "dict(string, list(string))",
    "label_keyed_string_dict": "dict(label, string)",
    "string_keyed_label_dict": "dict(string, label)",
}
_LIST_ELEM = {
    "int_list": "int",
    "label_list": "label",
    "output_list": "label",
    "string_list": "string",
}
_DICT_TYPES = {
    "string_dict": ("string", "string"),
    "string_list_dict": ("string", "string_list"),
    "label_keyed_string_dict": ("label", "string"),
    "string_keyed_label_dict": ("string", "label"),
}

def _bad_type(owner, name, attr_type, value):
    _error("BazelError", "expected value of type '%s' for attribute '%s' in %s, but got %s (%s)" % (
        _TYPE_TEXT.get(attr_type, attr_type), name, owner, repr(value), type(value)))

def _coerce(owner, name, attr_type, value, module, outer = None):
    outer = outer or attr_type
    t = __builtin_type(value)
    if attr_type in ("string", "int", "bool"):
        if t != attr_type:
            _bad_type(owner, name, outer, value)
        return value
    if attr_type in ("label", "output"):
        if t != "string" and _kind(value) != "Label":
            _bad_type(owner, name, outer, value)
        return _to_label(value, module)
    if attr_type in _LIST_ELEM:
        if t not in ("list", "tuple"):
            _bad_type(owner, name, outer, value)
        return [_coerce(owner, name, _LIST_ELEM[attr_type], x, module, outer) for x in value]
    if attr_type in _DICT_TYPES:
        if t != "dict":
            _bad_type(owner, name, outer, value)
        kt, vt = _DICT_TYPES[attr_type]
        return {
            _coerce(owner, name, kt, k, module, outer): _coerce(owner, name, vt, x, module, outer)
            for k, x in value.items()
        }
    return value

def _coerce_attrs(owner, schema, values, implicit, module):
    """Returns {attr: value} with defaults filled in, failing like Bazel on bad input."""
    for key in values:
        if key not in schema and key not in implicit:
            _error("BazelError", "no such attribute '%s' in %s" % (key, owner))
        if key.startswith("_"):
            _error("BazelError", "cannot set private attribute '%s' in %s" % (key, owner))
    result = {}
    for key, a in schema.items():
        if _kind(a) != "Attribute":
            _error("BazelError", "attribute '%s' of %s is not an attr.* descriptor" % (key, owner))
        v = values.get(key)
        if v == None:
            if a.mandatory:
                _error("BazelError", "missing value for mandatory attribute '%s' in %s" % (
                    key,
                    owner,
                ))
            v = a.default
        else:
            v = _coerce(owner, key, a.type, v, module)
            if a.values and v not in a.values:
                allowed = " or ".join([repr(x) for x in a.values])
                _error("BazelError", "invalid value in attribute '%s' of %s: " % (key, owner) +
                                     "has to be one of %s instead of %s" % (allowed, repr(v)))
        result[key] = v
    return result

def _make_attr(attr_type):
    def __harness_attr(default = _UNBOUND, doc = None, mandatory = False, values = None, **kwargs):
        if default == _UNBOUND:
            default = _ATTR_ZERO[attr_type]
        elif __builtin_type(default) not in ("function", "NoneType") and _kind(default) == None:
            owner = "attr.%s()" % attr_type
            default = _coerce(owner, "default", attr_type, default, __py_current_module())
        return __builtin_struct(
            __harness_kind__ = "Attribute",
            type = attr_type,
            default = default,
            mandatory = mandatory,
            values = values or [],
            doc = doc or "",
            options = kwargs,
        )
    return __harness_attr

attr = __builtin_struct(**{t: _make_attr(t) for t in _ATTR_ZERO})

# ---- rules, extensions, providers and friends (all recording)

def repository_rule(
        implementation = None,
        attrs = None,
        local = False,
        environ = [],
        configure = False,
        remotable = False,
        doc = None):
    info = __builtin_struct(
        __harness_kind__ = "repository_rule_info",
        implementation = implementation,
        attrs = attrs or {},
        local = local,
        environ = environ,
        configure = configure,
        doc = doc or "",
    )
    rid = __py_register("repository_rule", _to_data(attrs or {}))

    def __harness_repository_rule(**kwargs):
        if "__harness_query__" in kwargs:
            return __builtin_struct(id = rid, info = info)
        owner = "'%s' rule" % __py_rule_name(rid)
        if kwargs.get("name") == None:
            _error("BazelError", "missing value for mandatory attribute 'name' in %s" % owner)
        _coerce_attrs(owner, info.attrs, kwargs, ["name", "repo_mapping"], ["", "", ""])
        __py_record_repo(rid, _to_data(kwargs))
        return None

    return __harness_repository_rule

_REAL_BAZEL = "macros, targets and WORKSPACE code are tested in real Bazel 4.2.3 (tests/bzl, e2e)"

def rule(implementation = None, attrs = None, **kwargs):
    info = __builtin_struct(
        __harness_kind__ = "rule_info",
        implementation = implementation,
        attrs = attrs or {},
        options = kwargs,
    )
    rid = __py_register("rule", _to_data(attrs or {}))

    def __harness_rule(**kw):
        if "__harness_query__" in kw:
            return __builtin_struct(id = rid, info = info)
        owner = __py_rule_name(rid)
        _error("HarnessUnsupported", "'%s' rule called as a target: %s" % (owner, _REAL_BAZEL))

    return __harness_rule

def module_extension(
        implementation = None,
        tag_classes = None,
        doc = None,
        environ = [],
        os_dependent = False,
        arch_dependent = False,
        **kwargs):
    return __builtin_struct(
        __harness_kind__ = "module_extension",
        implementation = implementation,
        tag_classes = tag_classes or {},
        doc = doc or "",
        environ = environ,
        os_dependent = os_dependent,
        arch_dependent = arch_dependent,
        options = kwargs,
    )

def tag_class(attrs = None, doc = None):
    return __builtin_struct(__harness_kind__ = "tag_class", attrs = attrs or {}, doc = doc or "")

def provider(doc = None, *, fields = None, init = None):
    def __harness_provider_raw(*args, **kwargs):
        if args:
            _error("BazelError", "provider constructors take keyword arguments only")
        if fields != None:
            for k in kwargs:
                if k not in fields:
                    msg = "unexpected keyword '%s' in call to provider instantiation" % k
                    _error("BazelError", msg)
        return __builtin_struct(**kwargs)

    def __harness_provider(*args, **kwargs):
        if init == None:
            return __harness_provider_raw(*args, **kwargs)
        return __harness_provider_raw(**init(*args, **kwargs))

    if init != None:
        return (__harness_provider, __harness_provider_raw)
    return __harness_provider

def select(x, no_match_error = ""):
    return __builtin_struct(
        __harness_kind__ = "select",
        conditions = x,
        no_match_error = no_match_error,
    )

def depset(direct = None, order = "default", *, transitive = None):
    items = []
    seen = {}
    parts = [t.to_list() for t in (transitive or [])]
    if order == "preorder":
        parts = [list(direct or [])] + parts
    else:
        parts = parts + [list(direct or [])]
    for part in parts:
        for x in part:
            if x not in seen:
                seen[x] = True
                items.append(x)
    return __builtin_struct(
        __harness_kind__ = "depset",
        order = order,
        to_list = lambda: list(items),
    )

def exec_group(toolchains = [], exec_compatible_with = [], **kwargs):
    return __builtin_struct(
        __harness_kind__ = "exec_group",
        toolchains = toolchains,
        exec_compatible_with = exec_compatible_with,
        options = kwargs,
    )

def transition(implementation = None, inputs = [], outputs = [], **kwargs):
    return __builtin_struct(
        __harness_kind__ = "transition",
        implementation = implementation,
        inputs = inputs,
        outputs = outputs,
        options = kwargs,
    )

def aspect(implementation = None, attr_aspects = [], attrs = None, **kwargs):
    return __builtin_struct(
        __harness_kind__ = "aspect",
        implementation = implementation,
        attr_aspects = attr_aspects,
        attrs = attrs or {},
        options = kwargs,
    )

def configuration_field(fragment, name):
    return __builtin_struct(
        __harness_kind__ = "configuration_field",
        fragment = fragment,
        name = name,
    )

def visibility(value):
    return None

def _build_setting(kind):
    def __harness_build_setting(flag = False, **kwargs):
        return __builtin_struct(
            __harness_kind__ = "BuildSetting",
            type = kind,
            flag = flag,
            options = kwargs,
        )
    return __harness_build_setting

config = __builtin_struct(
    bool = _build_setting("bool"),
    int = _build_setting("int"),
    string = _build_setting("string"),
    string_list = _build_setting("string_list"),
    string_set = _build_setting("string_set"),
    exec = lambda exec_group = None: __builtin_struct(
        __harness_kind__ = "ExecTransitionFactory",
        exec_group = exec_group,
    ),
    target = lambda: transition(),
    none = lambda: transition(),
)

def _toolchain_type(name, *, mandatory = True):
    return __builtin_struct(
        __harness_kind__ = "toolchain_type",
        name = _to_label(name, __py_current_module()),
        mandatory = mandatory,
    )

config_common = __builtin_struct(toolchain_type = _toolchain_type, FeatureFlagInfo = provider())
platform_common = __builtin_struct(
    ToolchainInfo = provider(),
    TemplateVariableInfo = provider(),
    ConstraintValueInfo = provider(),
    ConstraintSettingInfo = provider(),
    PlatformInfo = provider(),
)
DefaultInfo = provider()
OutputGroupInfo = provider()
RunEnvironmentInfo = provider()
InstrumentedFilesInfo = provider()

_NATIVE_FUNCTIONS = [
    "alias", "bind", "cc_binary", "cc_import", "cc_library", "cc_test", "cc_toolchain",
    "config_setting", "constraint_setting", "constraint_value", "environment", "existing_rule",
    "existing_rules", "exports_files", "filegroup", "genrule", "glob", "label_flag",
    "label_setting", "licenses", "local_repository", "module_name", "module_version",
    "new_local_repository", "package", "package_group", "package_name",
    "package_relative_label", "platform", "register_execution_platforms",
    "register_toolchains", "repository_name", "sh_binary", "sh_library", "sh_test",
    "subpackages", "test_suite", "toolchain", "toolchain_type",
]

# Loading may mention native.*; calling it means a macro or BUILD code, which real Bazel runs.
def _native_function(fn):
    def __harness_native(*args, **kwargs):
        _error("HarnessUnsupported", "native.%s: %s" % (fn, _REAL_BAZEL))
    return __harness_native

native = __builtin_struct(**{fn: _native_function(fn) for fn in _NATIVE_FUNCTIONS})

# ---- contexts handed to implementation functions

# What the ruleset (and the harness's own tests) call; add a method when a .bzl needs it.
_MODULE_CTX_METHODS = [
    "download", "download_and_extract", "execute", "extension_metadata", "file",
    "path", "read", "report_progress", "watch", "which",
]
_REPOSITORY_CTX_METHODS = [
    "delete", "download", "download_and_extract", "execute", "file",
    "path", "read", "report_progress", "template", "watch", "which",
]

def _ctx_call(h, method, args = [], kwargs = {}):
    return _from_data(__py_ctx(h, method, _to_data(list(args)), _to_data(kwargs)), h)

def _ctx_method(h, method):
    def __harness_ctx_method(*args, **kwargs):
        return _ctx_call(h, method, args, kwargs)
    return __harness_ctx_method

def _path(h, info):
    p = info["__harness_path__"]
    i = p.rfind("/")
    parent = None
    if p != "/" and i >= 0:
        parent = p[:i] if i > 0 else "/"
    return __builtin_struct(
        __harness_kind__ = "path",
        __harness_path__ = p,
        basename = p[i + 1:] if p != "/" else "",
        dirname = _ctx_call(h, "path", [parent]) if parent != None and h != None else None,
        exists = info.get("exists", False),
        is_dir = info.get("is_dir", False),
        get_child = lambda *names: _ctx_call(h, "path", ["/".join([p] + list(names))]),
        readdir = lambda watch = "auto": _ctx_call(h, "readdir", [p]),
    )

def _os(data):
    return __builtin_struct(
        __harness_kind__ = "repository_os",
        name = data["name"],
        arch = data["arch"],
        environ = data["environ"],
    )

def _run_module_extension(refs, inp):
    ext = refs[0]
    if _kind(ext) != "module_extension":
        _error("HarnessError", "not a module_extension: %s" % type(ext))
    h = inp["handle"]
    modules = []
    dev = []
    for m in inp["modules"]:
        module = ["" if m["is_root"] else m["name"], "", "MODULE.bazel"]
        tags = {name: [] for name in ext.tag_classes}
        for entry in m["tags"]:
            name = entry["tag_class"]
            if name not in ext.tag_classes:
                known = ", ".join(sorted(ext.tag_classes.keys()))
                _error("BazelError", "The module extension has no tag class named " +
                                     "'%s' (module '%s'); it has: %s" % (name, m["name"], known))
            values = _from_data(entry["values"])
            owner = "'%s' tag of module '%s'" % (name, m["name"])
            schema = ext.tag_classes[name].attrs
            tag = __builtin_struct(**_coerce_attrs(owner, schema, values, [], module))
            tags[name].append(tag)
            dev.append((tag, entry["dev"]))
        modules.append(__builtin_struct(
            name = m["name"],
            version = m["version"],
            is_root = m["is_root"],
            tags = __builtin_struct(**tags),
        ))

    def is_dev_dependency(tag):
        for t, d in dev:
            if t == tag:
                return d
        return False

    methods = {m: _ctx_method(h, m) for m in _MODULE_CTX_METHODS}
    ctx = __builtin_struct(
        __harness_kind__ = "module_ctx",
        modules = modules,
        os = _os(inp["os"]),
        is_dev_dependency = is_dev_dependency,
        root_module_has_non_dev_dependency = inp["root_module_has_non_dev_dependency"],
        **methods
    )
    return ext.implementation(ctx)

def _run_repository_rule(refs, inp):
    r = refs[0]
    if _kind(r) != "repository_rule":
        _error("HarnessError", "not a repository_rule: %s" % type(r))
    q = r(__harness_query__ = True)
    values = _from_data(inp["attrs"])
    name = values.pop("name")
    owner = "'%s' rule" % __py_rule_name(q.id)
    values.pop("repo_mapping", None)
    attrs = _coerce_attrs(owner, q.info.attrs, values, [], ["", "", ""])
    attrs["name"] = name
    h = inp["handle"]
    methods = {m: _ctx_method(h, m) for m in _REPOSITORY_CTX_METHODS}
    ctx = __builtin_struct(
        __harness_kind__ = "repository_ctx",
        name = name,
        original_name = name,
        attr = __builtin_struct(**attrs),
        os = _os(inp["os"]),
        workspace_root = _ctx_call(h, "path", [inp["workspace_root"]]),
        **methods
    )
    return q.info.implementation(ctx)

def _call(refs, inp):
    f = refs[0]
    return f(*_from_data(inp["args"], None, refs), **_from_data(inp["kwargs"], None, refs))

def _get(refs, inp):
    return refs[0]

def _name_export(v, name, module):
    if _kind(v) in ("repository_rule", "rule"):
        __py_name(v(__harness_query__ = True).id, name, module)

harness = __builtin_struct(
    call = _call,
    get = _get,
    kind = _kind,
    label_factory = _label_factory,
    name_export = _name_export,
    run_module_extension = _run_module_extension,
    run_repository_rule = _run_repository_rule,
    to_data = _to_data,
)
'''

DEFAULT_STUBS: dict[str, str] = {
    "@bazel_tools//tools/build_defs/repo:http.bzl": '''
"""Harness stand-in for Bazel's http.bzl: calls are recorded, never run (real Bazel 4.2.3
runs them: every real-Bazel test calls rules_pyuv_dependencies())."""

def _not_run(ctx):
    fail("the harness does not run %s: test it in real Bazel 4.2.3" % ctx.name)

_COMMON = {
    "url": attr.string(),
    "urls": attr.string_list(),
    "sha256": attr.string(),
    "integrity": attr.string(),
}

http_archive = repository_rule(implementation = _not_run, attrs = dict(_COMMON, **{
    "strip_prefix": attr.string(),
    "build_file": attr.label(),
    "build_file_content": attr.string(),
}))

http_file = repository_rule(implementation = _not_run, attrs = dict(_COMMON, **{
    "executable": attr.bool(),
    "downloaded_file_path": attr.string(default = "downloaded"),
}))
''',
    "@bazel_tools//tools/build_defs/repo:utils.bzl": '''
"""Harness stand-in for Bazel's repo utils.bzl: what the ruleset loads (maybe, read_netrc)."""

def maybe(repo_rule, name, **kwargs):
    if not native.existing_rule(name):
        repo_rule(name = name, **kwargs)

def parse_netrc(contents, filename = None):
    """Machine name ("" for `default`) -> {"login": ..., "password": ..., "account": ...}."""
    netrc = {}
    machine = None
    expect = None
    where = filename or "a .netrc file"
    for line in contents.splitlines():
        if line.startswith("#"):
            continue
        for token in line.replace("\t", " ").split(" "):
            if not token:
                continue
            if expect == "machine":
                machine = token
                netrc[machine] = {}
            elif expect != None:
                if machine == None:
                    fail("Unexpected token '%s' while reading %s" % (token, where))
                netrc[machine][expect] = token
            elif token == "default":
                machine = ""
                netrc[machine] = {}
            elif token in ("machine", "login", "password", "account"):
                expect = token
                continue
            else:
                fail("Unexpected token '%s' while reading %s" % (token, where))
            expect = None
    return netrc

def read_netrc(ctx, filename):
    return parse_netrc(ctx.read(filename), filename)
''',
}
"""Stub sources for external ``.bzl`` files every env knows (override with ``add_stub``)."""


# --------------------------------------------------------------------------- contexts


class _RecordingCtx:
    """What module_ctx and repository_ctx share: a virtual filesystem and fakes."""

    kind = "ctx"

    def __init__(
        self,
        env: StarlarkEnv,
        workdir: str,
        files: Mapping[str, str] | None = None,
        os_name: str = "linux",
        arch: str = "amd64",
        environ: Mapping[str, str] | None = None,
        execute: Callable[[list[str]], tuple[int, str, str]] | None = None,
        downloads: Mapping[str, str | Mapping[str, str]] | None = None,
        which: Mapping[str, str | None] | None = None,
    ):
        self.env = env
        self.workdir = workdir
        self.os_name = os_name
        self.arch = arch
        self.environ = dict(environ or {})
        self.execute_fake = execute
        self.downloads_fake = dict(downloads or {})
        self.which_fake = dict(which or {})
        self.vfs: dict[str, str] = {self.resolve(k): v for k, v in (files or {}).items()}
        self.written: dict[str, str] = {}
        self.executable: set[str] = set()
        self.downloads: list[dict] = []
        self.executions: list[dict] = []
        self.progress: list[str] = []
        self.watched: list[str] = []

    # ---- paths and files

    def resolve(self, where: Any) -> str:
        """A label, path, or string (label-like, absolute, or relative) -> virtual path."""
        if isinstance(where, Label):
            return where.virtual_path()
        if isinstance(where, VirtualPath):
            return str(where)
        if not isinstance(where, str):
            raise BazelError(f"expected a path, string or Label, got {where!r}")
        if where.startswith(("@", "//")):
            return Label.parse(where).virtual_path()
        if where.startswith("/"):
            return _normpath(where)
        return _normpath(f"{self.workdir}/{where}")

    def read_path(self, path: str) -> str | None:
        if path in self.written:
            return self.written[path]
        if path in self.vfs:
            return self.vfs[path]
        return self.env._read_repo_file(path)

    def _children(self, path: str) -> set[str]:
        prefix = path.rstrip("/") + "/"
        names = {
            p[len(prefix) :].split("/", 1)[0]
            for p in (*self.written, *self.vfs)
            if p.startswith(prefix)
        }
        names.update(self.env._list_repo_dir(path))
        return names

    def path_marker(self, path: str) -> dict:
        is_dir = bool(self._children(path))
        exists = is_dir or self.read_path(path) is not None
        return {"__harness_path__": path, "exists": exists, "is_dir": is_dir}

    def write(self, where: Any, content: str, executable: bool = False) -> str:
        path = self.resolve(where)
        if not isinstance(content, str):
            raise BazelError(f"file content must be a string, got {content!r}")
        self.written[path] = content
        if executable:
            self.executable.add(path)
        else:
            self.executable.discard(path)
        return path

    def relative(self, path: str) -> str:
        prefix = self.workdir + "/"
        return path[len(prefix) :] if path.startswith(prefix) else path

    def files(self) -> dict[str, str]:
        """Files written so far, keyed relative to the working directory when inside it."""
        return {self.relative(p): c for p, c in self.written.items()}

    # ---- dispatch from Starlark

    def call(self, method: str, args: list, kwargs: dict) -> Any:
        fn = getattr(self, "sl_" + method, None)
        if fn is None:
            raise HarnessUnsupported(f"{self.kind}.{method}() is not supported in this harness")
        result = fn(*[_decode(a) for a in args], **{k: _decode(v) for k, v in kwargs.items()})
        return self._encode_result(result)

    def _encode_result(self, value: Any) -> Any:
        if isinstance(value, VirtualPath):
            return self.path_marker(str(value))
        if isinstance(value, list):
            return [self._encode_result(v) for v in value]
        return _encode(value)

    # ---- ctx methods shared by module_ctx and repository_ctx

    def sl_read(self, path, watch="auto"):
        resolved = self.resolve(path)
        content = self.read_path(resolved)
        if content is None:
            raise BazelError(
                f"Unable to read {path}: {resolved} is not in the harness's virtual filesystem "
                "(pass files={label_or_path: content})"
            )
        return content

    def sl_path(self, path):
        return VirtualPath(self.resolve(path))

    def sl_readdir(self, path):
        path = self.resolve(path)
        return [VirtualPath(f"{path.rstrip('/')}/{n}") for n in sorted(self._children(path))]

    def sl_file(self, path, content="", executable=True, legacy_utf8=True):
        self.write(path, content, executable)

    def sl_which(self, program):
        found = self.which_fake.get(program)
        return VirtualPath(found) if found else None

    def sl_report_progress(self, status=""):
        self.progress.append(status)

    def sl_watch(self, path):
        self.watched.append(self.resolve(path))

    def sl_execute(
        self, arguments, timeout=600, environment=None, quiet=True, working_directory=""
    ):
        argv = [str(a) for a in arguments]
        self.executions.append(
            {
                "argv": argv,
                "environment": dict(environment or {}),
                "working_directory": working_directory,
                "timeout": timeout,
                "quiet": quiet,
            }
        )
        if self.execute_fake is None:
            raise HarnessUnsupported(
                f"{self.kind}.execute({argv!r}) is not supported in this harness "
                "unless the test passes execute=fn(argv) -> (return_code, stdout, stderr)"
            )
        code, out, err = self.execute_fake(argv)
        result = Struct(return_code=code, stdout=out, stderr=err)
        result._starlark_kind = "exec_result"
        return result

    def _download(self, method, url, output, sha256, kwargs, require_fake):
        urls = [url] if isinstance(url, str) else list(url)
        record = {"method": method, "urls": urls, "output": output, "sha256": sha256, **kwargs}
        self.downloads.append(record)
        fake = next((self.downloads_fake[u] for u in urls if u in self.downloads_fake), None)
        if fake is None and require_fake:
            raise HarnessUnsupported(
                f"{self.kind}.{method}({urls!r}) is not supported in this harness unless the "
                "test passes downloads={url: content (or {path: content} for archives)}"
            )
        if fake is not None:
            if isinstance(fake, str):
                self.write(output or urls[0].rsplit("/", 1)[-1], fake, kwargs.get("executable"))
            else:
                base = self.resolve(output or ".")
                for rel, content in fake.items():
                    self.write(f"{base}/{rel}", content)
        result = Struct(success=True, sha256=sha256 or "", integrity=kwargs.get("integrity", ""))
        result._starlark_kind = "download_result"
        return result

    def sl_download(self, url, output="", sha256="", **kwargs):
        return self._download("download", url, output, sha256, kwargs, self._require_fakes)

    def sl_download_and_extract(self, url, output="", sha256="", **kwargs):
        return self._download(
            "download_and_extract", url, output, sha256, kwargs, self._require_fakes
        )

    _require_fakes = True


class RecordingModuleCtx(_RecordingCtx):
    """The ``module_ctx`` given to a module extension; records what the extension does.

    ``modules``: ``FakeModule``s or dicts with the same keys.  ``files`` maps labels
    (``"//:uv.lock"``) or virtual paths to contents for ``read``/``path``.  ``download`` and
    ``execute`` need ``downloads``/``execute`` fakes.  Repositories created by the extension
    land in ``repos``; ``extension_metadata(...)`` in ``metadata``.
    """

    kind = "module_ctx"

    def __init__(self, env: StarlarkEnv, modules: Iterable[FakeModule | Mapping], **options):
        super().__init__(env, EXTENSION_DIR, **options)
        self.modules = [m if isinstance(m, FakeModule) else FakeModule(**m) for m in modules]
        self.repos: list[RecordedRule] = []
        self.metadata: dict | None = None

    def module_data(self) -> list[dict]:
        data = []
        for m in self.modules:
            tags = [
                {"tag_class": tc, "values": _encode(dict(values)), "dev": dev}
                for dev, mapping in ((False, m.tags), (True, m.dev_tags))
                for tc, tag_list in mapping.items()
                for values in tag_list
            ]
            data.append({"name": m.name, "version": m.version, "is_root": m.is_root, "tags": tags})
        return data

    def root_has_non_dev(self) -> bool:
        return any(m.is_root and any(m.tags.values()) for m in self.modules)

    def sl_extension_metadata(
        self, root_module_direct_deps=None, root_module_direct_dev_deps=None, reproducible=False
    ):
        self.metadata = {
            "root_module_direct_deps": root_module_direct_deps,
            "root_module_direct_dev_deps": root_module_direct_dev_deps,
            "reproducible": reproducible,
        }
        result = Struct(self.metadata)
        result._starlark_kind = "extension_metadata"
        return result


class RecordingRepositoryCtx(_RecordingCtx):
    """The ``repository_ctx`` given to a repository rule; files land in ``written``."""

    kind = "repository_ctx"
    _require_fakes = False

    def __init__(self, env: StarlarkEnv, name: str, **options):
        super().__init__(env, f"{EXTERNAL_ROOT}/{name}", **options)
        self.name = name
        self.deleted: list[str] = []

    def sl_template(self, path, template, substitutions=None, executable=True, **_):
        content = self.sl_read(template)
        for old, new in (substitutions or {}).items():
            content = content.replace(old, new)
        self.write(path, content, executable)

    def sl_delete(self, path):
        path = self.resolve(path)
        gone = [p for p in self.written if p == path or p.startswith(path + "/")]
        for p in gone:
            del self.written[p]
        self.deleted.append(path)
        return bool(gone)


def _normpath(path: str) -> str:
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)


@dataclass
class ModuleExtensionResult:
    """What a module extension did: ``repos``, ``metadata`` and the ctx with the rest."""

    repos: list[RecordedRule]
    metadata: dict | None
    return_value: Any
    ctx: RecordingModuleCtx

    def repo(self, name: str) -> RecordedRule:
        """The repository named ``name`` (KeyError if the extension did not create it)."""
        for r in self.repos:
            if r.name == name:
                return r
        raise KeyError(f"no repo {name!r}; created: {[r.name for r in self.repos]}")

    @property
    def repo_names(self) -> list[str]:
        return [r.name for r in self.repos]


class RepositoryRuleResult(dict):
    """Files a repository rule wrote (relative path -> content), plus ``ctx`` and extras."""

    def __init__(self, ctx: RecordingRepositoryCtx, return_value: Any):
        super().__init__(ctx.files())
        self.ctx = ctx
        self.return_value = return_value
        self.executable = {ctx.relative(p) for p in ctx.executable}
        self.downloads = ctx.downloads
        self.executions = ctx.executions
        self.progress = ctx.progress


# --------------------------------------------------------------------------- the env


@dataclass
class _RuleInfo:
    kind: str
    module: Label
    attrs: Any
    name: str | None = None


class StarlarkEnv:
    """Loads ``.bzl`` files of one repository (``repo_root``, named ``repo_name``).

    ``stubs`` maps labels of other repositories' ``.bzl`` files to their source (see
    ``DEFAULT_STUBS``).  ``label_style``: ``"bzlmod"`` (``str(Label)`` is ``@@repo//p:n``)
    or ``"workspace"`` (``@repo//p:n``, ``//p:n`` in the main repo).  Recorded: ``printed``.
    Rule targets, ``native.*`` and repository rules called outside a module extension
    (WORKSPACE macros) raise ``HarnessUnsupported``: real Bazel 4.2.3 tests those.
    """

    def __init__(
        self,
        repo_root: str | Path,
        repo_name: str = "rules_pyuv",
        *,
        stubs: Mapping[str, str] | None = None,
        label_style: str = "bzlmod",
    ):
        self.repo_root = Path(repo_root).resolve()
        self.repo_name = repo_name
        self.printed: list[str] = []
        self._modules: dict[str, sl.FrozenModule] = {}
        self._stubs: dict[str, str] = {}
        for label, source in {**DEFAULT_STUBS, **(stubs or {})}.items():
            self.add_stub(label, source)
        self._dialect = bazel_dialect()
        self._globals = bazel_globals()
        self._names: dict[str, list[str]] = {}
        self._rules: list[_RuleInfo] = []
        self._loading: list[Label] = []
        # The module extension being run collects repository rule calls; outside one they fail.
        self._repo_sink: list[RecordedRule] | None = None
        self._pending: BaseException | None = None
        self._preamble = sl.parse("harness_preamble.bzl", _PREAMBLE, self._dialect)
        self._core = self._build_core(label_style)

    # ---- public API

    def add_stub(self, label: str, source: str) -> None:
        """Makes ``load(label, ...)`` evaluate ``source`` (any repo, including this one)."""
        key = str(Label.parse(label, self.repo_name))
        if key in self._modules:
            raise HarnessError(f"{key} is already loaded; add stubs before loading")
        self._stubs[key] = source

    def load(self, label_or_path: str | Path) -> StarlarkModule:
        """Evaluates a ``.bzl`` file (label, repo-relative path, or absolute path)."""
        label = self._to_label(label_or_path)
        self._module(label)
        return StarlarkModule(self, label, self._names[str(label)])

    def load_source(self, label: str, source: str) -> StarlarkModule:
        """Registers ``source`` as the file ``label`` and loads it (for inline test code)."""
        self.add_stub(label, source)
        return self.load(label)

    def run_module_extension(
        self,
        ext: StarlarkRef | str,
        modules: Iterable[FakeModule | Mapping],
        *,
        files: Mapping[str, str] | None = None,
        os_name: str = "linux",
        arch: str = "amd64",
        environ: Mapping[str, str] | None = None,
        execute: Callable[[list[str]], tuple[int, str, str]] | None = None,
        downloads: Mapping[str, Any] | None = None,
        which: Mapping[str, str | None] | None = None,
    ) -> ModuleExtensionResult:
        """Runs a module extension's implementation against fake modules.

        ``ext``: a ref (``env.load(...).uv``) or ``"label%name"``.  ``files``: labels or
        virtual paths -> contents for ``module_ctx.read``/``path``.  ``os_name``
        ("linux", "mac os x", "windows 10") and ``arch`` ("amd64", "aarch64") make
        ``module_ctx.os``.  ``execute(argv) -> (code, stdout, stderr)``, ``downloads``
        (url -> content, or {path: content} for archives) and ``which`` (program -> path)
        are fakes; without them those ctx methods raise ``HarnessUnsupported``.
        """
        ctx = RecordingModuleCtx(
            self,
            modules,
            files=files,
            os_name=os_name,
            arch=arch,
            environ=environ,
            execute=execute,
            downloads=downloads,
            which=which,
        )
        inp = {
            "handle": sl.OpaquePythonObject(ctx),
            "modules": ctx.module_data(),
            "os": self._os_data(ctx),
            "root_module_has_non_dev_dependency": ctx.root_has_non_dev(),
        }
        saved, self._repo_sink = self._repo_sink, ctx.repos
        try:
            value = self._snippet("run_module_extension", [self._as_ref(ext)], inp)
        finally:
            self._repo_sink = saved
        return ModuleExtensionResult(ctx.repos, ctx.metadata, value, ctx)

    def run_repository_rule(
        self,
        rule: StarlarkRef | RecordedRule | str,
        name: str | None = None,
        attrs: Mapping[str, Any] | None = None,
        *,
        files: Mapping[str, str] | None = None,
        os_name: str = "linux",
        arch: str = "amd64",
        environ: Mapping[str, str] | None = None,
        execute: Callable[[list[str]], tuple[int, str, str]] | None = None,
        downloads: Mapping[str, Any] | None = None,
        which: Mapping[str, str | None] | None = None,
        **more_attrs: Any,
    ) -> RepositoryRuleResult:
        """Runs a repository rule's implementation; returns the files it wrote.

        ``rule``: a ref, ``"label%name"``, a rule name the env has seen, or a
        ``RecordedRule`` (its attrs are used).  Attributes come from ``attrs`` and keyword
        arguments (use ``attrs`` for names that clash with the options here).
        """
        values: dict[str, Any] = {}
        if isinstance(rule, RecordedRule):
            values.update(rule.attrs)
            rule = rule.rule_name
        values.update(attrs or {})
        values.update(more_attrs)
        if name is not None:
            values["name"] = name
        if not values.get("name"):
            raise HarnessError("run_repository_rule needs name=...")
        ctx = RecordingRepositoryCtx(
            self,
            values["name"],
            files=files,
            os_name=os_name,
            arch=arch,
            environ=environ,
            execute=execute,
            downloads=downloads,
            which=which,
        )
        inp = {
            "handle": sl.OpaquePythonObject(ctx),
            "attrs": _encode(values),
            "os": self._os_data(ctx),
            "workspace_root": WORKSPACE_ROOT,
        }
        value = self._snippet("run_repository_rule", [self._as_ref(rule)], inp)
        return RepositoryRuleResult(ctx, value)

    # ---- loading

    def _to_label(self, label_or_path: str | Path) -> Label:
        text = str(label_or_path)
        if text.startswith(("@", "//", ":")):
            return Label.parse(text, self.repo_name)
        path = Path(text)
        if not path.is_absolute():
            path = self.repo_root / path
        try:
            rel = path.resolve().relative_to(self.repo_root)
        except ValueError:
            raise HarnessError(f"{path} is outside the repository {self.repo_root}") from None
        pkg_dir = rel.parent
        for candidate in (rel.parent, *rel.parent.parents):
            if any((self.repo_root / candidate / b).exists() for b in ("BUILD", "BUILD.bazel")):
                pkg_dir = candidate
                break
        package = "" if str(pkg_dir) == "." else pkg_dir.as_posix()
        name = rel.relative_to(pkg_dir).as_posix()
        return Label(self.repo_name, package, name)

    def _source(self, label: Label) -> tuple[str, str]:
        key = str(label)
        if key in self._stubs:
            return self._stubs[key], key
        if label.repo == self.repo_name:
            rel = "/".join(p for p in (label.package, label.name) if p)
            path = self.repo_root / rel
            if path.is_file():
                return path.read_text(encoding="utf-8"), rel
            raise HarnessError(f"cannot load {label}: no file {rel} in {self.repo_name}")
        raise HarnessError(
            f"cannot load {label}: it is outside {self.repo_name}; register a stub with "
            f"env.add_stub({str(label)!r}, source)"
        )

    def _loader(self, current: Label) -> sl.FileLoader:
        def load(module_id: str) -> sl.FrozenModule:
            if module_id == PRELUDE_LABEL:
                return self._core
            return self._module(Label.parse(module_id, current.repo, current.package))

        return sl.FileLoader(self._guard(load))

    def _module(self, label: Label) -> sl.FrozenModule:
        key = str(label)
        if key in self._modules:
            return self._modules[key]
        if label in self._loading:
            cycle = " -> ".join(str(x) for x in [*self._loading, label])
            raise BazelError(f"cycle in load graph: {cycle}")
        source, filename = self._source(label)
        ast = self._parse(filename, source)
        module = self._new_module(label)
        self._loading.append(label)
        try:
            self._eval(module, ast, self._loader(label))
            self._names[key] = self._export_names(module, label, source)
        finally:
            self._loading.pop()
        self._modules[key] = module.freeze()
        return self._modules[key]

    def _new_module(self, label: Label) -> sl.Module:
        module = sl.Module()
        module["__harness_module"] = [label.repo, label.package, label.name]
        self._eval(module, self._preamble, self._loader(label))
        return module

    def _export_names(self, module: sl.Module, label: Label, source: str) -> list[str]:
        """Names rules after their variables; aliases private names for Python access."""
        names = []
        for match in _TOP_LEVEL_NAME.finditer(source):
            name = match.group(1) or match.group(2)
            if name in names or name == "Label":
                continue
            lines = [f"__harness.name_export({name}, {name!r}, __harness_module)"]
            if name.startswith("_"):
                lines.append(f"{_PRIVATE_ALIAS}{name} = {name}")
            try:
                sl.eval(
                    module,
                    sl.parse("harness_names.bzl", "\n".join(lines), self._dialect),
                    self._globals,
                )
            except sl.StarlarkError:
                self._pending = None
                continue
            names.append(name)
        return names

    # ---- evaluation plumbing

    def _parse(self, filename: str, source: str) -> sl.AstModule:
        try:
            return sl.parse(filename, source, self._dialect)
        except sl.StarlarkError as err:
            raise StarlarkEvalError(_error_line(str(err)), str(err)) from None

    def _eval(self, module: sl.Module, ast: sl.AstModule, loader: sl.FileLoader | None) -> None:
        self._pending = None
        try:
            sl.eval(module, ast, self._globals, loader)
        except sl.StarlarkError as err:
            pending, self._pending = self._pending, None
            text = str(err)
            if pending is None:
                raise StarlarkEvalError(_error_line(text), text) from None
            if not isinstance(pending, StarlarkEvalError):
                raise StarlarkEvalError(f"{type(pending).__name__}: {pending}", text) from pending
            if pending.traceback is None:
                pending.traceback = text
            raise pending from None

    def _guard(self, fn: Callable) -> Callable:
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except BaseException as e:
                if self._pending is None:
                    self._pending = e
                raise

        return guarded

    def _snippet(self, op: str, refs: list[StarlarkRef], inp: dict, decode_as=None) -> Any:
        """Evaluates ``harness.<op>(refs, inp)`` in a fresh module; returns decoded result."""
        label = Label(self.repo_name, "", "harness_snippet.bzl")
        loads, exprs = [], []
        for i, ref in enumerate(refs):
            symbol = ref.symbol
            if symbol.startswith("_"):
                symbol = _PRIVATE_ALIAS + symbol
            loads.append(f"load({_json.dumps(str(ref.label))}, __s{i} = {symbol!r})")
            exprs.append(ref.expression(f"__s{i}"))
        source = "\n".join(
            [
                *loads,
                f"__refs = [{', '.join(exprs)}]",
                f"harness_result = __harness.to_data(__harness.{op}(__refs, harness_input))",
            ]
        )
        module = self._new_module(label)
        module["harness_input"] = inp
        self._eval(
            module, sl.parse("harness_snippet.bzl", source, self._dialect), self._loader(label)
        )
        return _decode(module["harness_result"], decode_as)

    def _get(self, label: Label, name: str) -> Any:
        ref = StarlarkRef(self, label, name)
        try:
            return self._snippet("get", [ref], {}, decode_as=ref)
        except StarlarkEvalError as e:
            if "has no symbol" in e.message or "not exported" in e.message:
                raise AttributeError(f"{label} has no symbol {name!r}") from None
            raise

    def _call(self, ref: StarlarkRef, args: tuple, kwargs: dict) -> Any:
        refs: list[StarlarkRef] = [ref]
        inp = {"args": _encode(list(args), refs), "kwargs": _encode(dict(kwargs), refs)}
        return self._snippet("call", refs, inp)

    def _as_ref(self, target: StarlarkRef | str) -> StarlarkRef:
        if isinstance(target, StarlarkRef):
            return target
        if "%" in target:
            label, symbol = target.rsplit("%", 1)
            return StarlarkRef(self, self._to_label(label), symbol)
        found = [r for r in self._rules if r.name == target]
        if len(found) != 1:
            raise HarnessError(
                f"{target!r} names {len(found)} rules the env has seen; pass a ref or 'label%name'"
            )
        return StarlarkRef(self, found[0].module, target)

    def _os_data(self, ctx: _RecordingCtx) -> dict:
        return {"name": ctx.os_name, "arch": ctx.arch, "environ": ctx.environ}

    # ---- the repository under test on disk, seen through virtual paths

    def _disk_path(self, path: str) -> Path | None:
        prefix = f"{EXTERNAL_ROOT}/{self.repo_name}"
        if path == prefix or path.startswith(prefix + "/"):
            return self.repo_root / path[len(prefix) + 1 :]
        return None

    def _read_repo_file(self, path: str) -> str | None:
        disk = self._disk_path(path)
        if disk is not None and disk.is_file():
            return disk.read_text(encoding="utf-8")
        return None

    def _list_repo_dir(self, path: str) -> list[str]:
        disk = self._disk_path(path)
        if disk is not None and disk.is_dir():
            return [p.name for p in disk.iterdir()]
        return []

    # ---- the prelude module and its Python callbacks

    def _build_core(self, label_style: str) -> sl.FrozenModule:
        if label_style not in ("bzlmod", "workspace"):
            raise ValueError(f"label_style must be 'bzlmod' or 'workspace', not {label_style!r}")
        core = sl.Module()
        callbacks = {
            "__py_fail": self._cb_fail,
            "__py_error": self._cb_error,
            "__py_print": lambda message: self.printed.append(_unstruct(message)),
            "__py_register": self._cb_register,
            "__py_name": self._cb_name,
            "__py_rule_name": self._rule_name,
            "__py_record_repo": self._cb_record_repo,
            "__py_ctx": lambda handle, method, args, kwargs: handle.call(method, args, kwargs),
            "__py_parse_label": lambda text, repo, pkg: list(
                _astuple(Label.parse(text, repo, pkg))
            ),
            "__py_current_module": self._cb_current_module,
            "__py_json_encode": json_encode,
            "__py_json_valid": _json_valid,
        }
        for name, fn in callbacks.items():
            core.add_callable(name, self._guard(fn))
        core["__harness_label_style"] = label_style
        for filename, text in (
            ("harness_builtins.bzl", _BUILTINS_PASS),
            ("harness_prelude.bzl", _PRELUDE),
        ):
            self._eval(core, sl.parse(filename, text, self._dialect), None)
        return core.freeze()

    def _cb_fail(self, message: str) -> None:
        raise StarlarkFail(_unstruct(message))

    def _cb_error(self, kind: str, message: str) -> None:
        error = {
            "BazelError": BazelError,
            "HarnessError": HarnessError,
            "HarnessUnsupported": HarnessUnsupported,
        }.get(kind, BazelError)
        raise error(_unstruct(message))

    def _cb_current_module(self) -> list[str]:
        label = self._loading[-1] if self._loading else Label(self.repo_name, "", "")
        return [label.repo, label.package, label.name]

    def _cb_register(self, kind: str, attrs: Any) -> int:
        module = self._loading[-1] if self._loading else Label(self.repo_name, "", "")
        self._rules.append(_RuleInfo(kind, module, _decode(attrs)))
        return len(self._rules) - 1

    def _cb_name(self, rule_id: int, name: str, module: list[str]) -> None:
        info = self._rules[rule_id]
        if info.name is None:
            info.name = name
            info.module = Label(*module)

    def _rule_name(self, rule_id: int) -> str:
        info = self._rules[rule_id]
        return info.name or f"<unnamed {info.kind} from {info.module}>"

    def _record_repo(self, rule_name: str, attrs: dict) -> None:
        name = attrs.get("name")
        if not isinstance(name, str) or not _REPO_NAME.match(name):
            raise BazelError(f"invalid repository name {name!r} in {rule_name!r} call")
        if self._repo_sink is None:
            raise HarnessUnsupported(
                f"{rule_name}(name = {name!r}) called outside a module extension: WORKSPACE "
                "code is tested in real Bazel 4.2.3 (tests/bzl, e2e)"
            )
        for existing in self._repo_sink:
            if existing.name == name:
                raise BazelError(
                    f"A repo named {name} is already generated by this module extension "
                    f"(by {existing.rule_name}, then again by {rule_name})"
                )
        self._repo_sink.append(RecordedRule(rule_name, attrs))

    def _cb_record_repo(self, rule_id: int, kwargs: Any) -> None:
        self._record_repo(self._rule_name(rule_id), _decode(kwargs))


def _astuple(label: Label) -> tuple[str, str, str]:
    return (label.repo, label.package, label.name)


def _error_line(text: str) -> str:
    for line in reversed(text.splitlines()):
        if line.startswith("error: "):
            return line[len("error: ") :]
    return text.strip().splitlines()[0] if text.strip() else "Starlark error"
