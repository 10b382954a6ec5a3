"""Build tiny, deterministic Python distributions (wheels and sdists) for tests.

Only the standard library is used (plus ``packaging`` to rewrite requirement markers), so
building a handful of artifacts takes milliseconds. Outputs are byte-for-byte reproducible:
zip and tar entries are sorted, carry fixed timestamps and fixed permissions, and the gzip
header carries no timestamp or file name.

Every default package defines ``__version__`` and ``hello()``; ``hello()`` returns a string
such as ``"platpkg 1.0.0 cp311-cp311-win_amd64"`` naming the distribution, version and the
artifact it came from (the wheel tag, or ``"sdist"``), so a test can tell which artifact
got installed.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import itertools
import re
import tarfile
import textwrap
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from packaging.requirements import Requirement

from .pyindex import normalize_name

__all__ = [
    "SDIST_MTIME",
    "ZIP_DATE_TIME",
    "build_sdist",
    "build_wheel",
    "expand_tags",
    "import_name",
    "normalize_name",
    "requires_dist_lines",
    "sdist_filename",
    "sha256_file",
    "wheel_filename",
    "wheel_name_part",
]

# 1980-01-01 is the earliest timestamp a zip file can hold.
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
# 2000-01-01T00:00:00Z: sdist members must not predate 1980, or wheels built from them fail.
SDIST_MTIME = 946684800

FileContents = Mapping[str, "str | bytes"]


def wheel_name_part(name: str) -> str:
    """The name part of wheel and sdist file names (``Foo.Bar`` -> ``foo_bar``)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def import_name(name: str) -> str:
    """The import package used for a distribution's default code (same as the file-name part)."""
    return wheel_name_part(name)


def expand_tags(tag: str) -> list[str]:
    """Expand a (possibly compressed) tag set: ``py2.py3-none-any`` -> two tags."""
    parts = tag.split("-")
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"bad wheel tag {tag!r}: want <python>-<abi>-<platform>")
    pythons, abis, platforms = (p.split(".") for p in parts)
    return ["-".join(t) for t in itertools.product(pythons, abis, platforms)]


def wheel_filename(name: str, version: str, tag: str = "py3-none-any") -> str:
    return f"{wheel_name_part(name)}-{version}-{tag}.whl"


def sdist_filename(name: str, version: str) -> str:
    return f"{wheel_name_part(name)}-{version}.tar.gz"


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def _and_extra(req: str, extra: str) -> str:
    """Return ``req`` with ``extra == "<extra>"`` and-ed into its marker."""
    parsed = Requirement(req)
    extra_marker = f'extra == "{normalize_name(extra)}"'
    marker = f"({parsed.marker}) and {extra_marker}" if parsed.marker else extra_marker
    parsed.marker = None
    return f"{parsed} ; {marker}"


def requires_dist_lines(
    requires_dist: Iterable[str],
    extras: Mapping[str, Sequence[str]] | None,
) -> list[str]:
    """``Requires-Dist`` values: plain requirements, then each extra's with an extra marker."""
    lines = [str(Requirement(r)) for r in requires_dist]
    for extra, reqs in (extras or {}).items():
        lines.extend(_and_extra(r, extra) for r in reqs)
    return lines


def _core_metadata(
    name: str,
    version: str,
    *,
    metadata_version: str,
    summary: str,
    requires_dist: Iterable[str],
    extras: Mapping[str, Sequence[str]] | None,
    requires_python: str | None,
) -> str:
    lines = [
        f"Metadata-Version: {metadata_version}",
        f"Name: {name}",
        f"Version: {version}",
        f"Summary: {summary}",
    ]
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    for extra in extras or {}:
        lines.append(f"Provides-Extra: {normalize_name(extra)}")
    for req in requires_dist_lines(requires_dist, extras):
        lines.append(f"Requires-Dist: {req}")
    return "\n".join(lines) + "\n\n"


def _default_init(name: str, version: str, origin: str, extra_code: str = "") -> str:
    return textwrap.dedent(
        f'''\
        """Test package {name} {version} ({origin})."""

        __version__ = {version!r}
        ORIGIN = {origin!r}


        def hello():
            return {f"{name} {version} {origin}"!r}


        def main():
            print(hello())
        '''
    ) + textwrap.dedent(extra_code)


def _entry_points_txt(entry_points: Mapping[str, Mapping[str, str]] | str) -> str:
    if isinstance(entry_points, str):
        return entry_points
    out = []
    for group, entries in entry_points.items():
        out.append(f"[{group}]")
        out.extend(f"{key} = {value}" for key, value in entries.items())
        out.append("")
    return "\n".join(out)


def _to_bytes(data: str | bytes) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else data


def _record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def build_wheel(
    out_dir: str | Path,
    name: str,
    version: str,
    *,
    tag: str = "py3-none-any",
    files: FileContents | None = None,
    requires_dist: Iterable[str] = (),
    extras: Mapping[str, Sequence[str]] | None = None,
    entry_points: Mapping[str, Mapping[str, str]] | str | None = None,
    requires_python: str | None = None,
    summary: str | None = None,
) -> Path:
    """Write ``<name>-<version>-<tag>.whl`` into ``out_dir`` and return its path.

    ``tag`` may be a compressed tag set
    (``cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64``); the WHEEL file lists every
    expanded tag. ``files`` maps archive paths to contents; when
    omitted, the wheel holds ``<import_name>/__init__.py`` with ``__version__``, ``hello()``
    and ``main()``. ``extras`` maps an extra name to its requirements (written with
    ``extra == "..."`` markers and ``Provides-Extra``). ``entry_points`` is either a mapping
    ``{group: {name: "module:attr"}}`` or the raw text of ``entry_points.txt``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tags = expand_tags(tag)
    dist = wheel_name_part(name)
    dist_info = f"{dist}-{version}.dist-info"

    if files is None:
        files = {f"{import_name(name)}/__init__.py": _default_init(name, version, tag)}
    contents: dict[str, bytes] = {path: _to_bytes(data) for path, data in files.items()}
    if any(p.startswith(f"{dist_info}/") for p in contents):
        raise ValueError(f"files must not write into {dist_info}/")

    meta: dict[str, bytes] = {
        f"{dist_info}/METADATA": _core_metadata(
            name,
            version,
            metadata_version="2.1",
            summary=summary or f"Test wheel {name} {version} ({tag})",
            requires_dist=requires_dist,
            extras=extras,
            requires_python=requires_python,
        ).encode("utf-8"),
        f"{dist_info}/WHEEL": (
            "Wheel-Version: 1.0\n"
            "Generator: rules_pyuv-tests\n"
            f"Root-Is-Purelib: {'true' if tag.endswith('-none-any') else 'false'}\n"
            + "".join(f"Tag: {t}\n" for t in tags)
        ).encode("utf-8"),
    }
    if entry_points:
        meta[f"{dist_info}/entry_points.txt"] = _entry_points_txt(entry_points).encode("utf-8")

    # Payload first, then .dist-info, with RECORD last (as installers expect).
    ordered = sorted(contents.items()) + sorted(meta.items())
    record_path = f"{dist_info}/RECORD"
    record = "".join(f"{p},{_record_hash(d)},{len(d)}\n" for p, d in ordered)
    record += f"{record_path},,\n"
    ordered.append((record_path, record.encode("utf-8")))

    path = out_dir / wheel_filename(name, version, tag)
    with zipfile.ZipFile(path, "w") as zf:
        for arcname, data in ordered:
            info = zipfile.ZipInfo(arcname, date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o100644 & 0xFFFF) << 16
            info.create_system = 3  # Unix, so the permission bits are honoured
            zf.writestr(info, data)
    return path


_NATIVE_C = textwrap.dedent(
    """\
    /* Tiny extension module for rules_pyuv tests. */
    #define PY_SSIZE_T_CLEAN
    #include <Python.h>

    #if defined(__aarch64__) || defined(_M_ARM64)
    #define NATIVE_MACHINE "aarch64"
    #elif defined(__x86_64__) || defined(_M_X64)
    #define NATIVE_MACHINE "x86_64"
    #elif defined(__i386__) || defined(_M_IX86)
    #define NATIVE_MACHINE "x86"
    #elif defined(__arm__)
    #define NATIVE_MACHINE "arm"
    #elif defined(__riscv)
    #define NATIVE_MACHINE "riscv"
    #elif defined(__powerpc64__)
    #define NATIVE_MACHINE "ppc64"
    #elif defined(__s390x__)
    #define NATIVE_MACHINE "s390x"
    #else
    #define NATIVE_MACHINE "unknown"
    #endif

    static PyObject *native_add(PyObject *self, PyObject *args) {
        long long a, b;
        if (!PyArg_ParseTuple(args, "LL", &a, &b)) {
            return NULL;
        }
        return PyLong_FromLongLong(a + b);
    }

    static PyObject *native_machine(PyObject *self, PyObject *unused) {
        return PyUnicode_FromString(NATIVE_MACHINE);
    }

    static PyMethodDef native_methods[] = {
        {"add", native_add, METH_VARARGS, "Return a + b, computed in C."},
        {"machine", native_machine, METH_NOARGS, "The CPU this module was compiled for."},
        {NULL, NULL, 0, NULL},
    };

    static struct PyModuleDef native_module = {
        PyModuleDef_HEAD_INIT, "_native", "rules_pyuv test extension", -1, native_methods,
    };

    PyMODINIT_FUNC PyInit__native(void) {
        return PyModule_Create(&native_module);
    }
    """
)

_NATIVE_INIT_EXTRA = """

from ._native import add, machine  # noqa: E402  (the compiled extension)


def native_hello():
    return hello() + " built-for " + machine()
"""


def _toml_str(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _toml_list(values: Iterable[str]) -> str:
    return "[" + ", ".join(_toml_str(v) for v in values) + "]"


def build_sdist(
    out_dir: str | Path,
    name: str,
    version: str,
    *,
    requires_dist: Iterable[str] = (),
    extras: Mapping[str, Sequence[str]] | None = None,
    requires_python: str | None = None,
    build_requires: Sequence[str] = ("setuptools",),
    c_extension: bool = False,
    files: FileContents | None = None,
    entry_points: Mapping[str, Mapping[str, str]] | None = None,
    metadata_version: str = "2.2",
    summary: str | None = None,
) -> Path:
    """Write ``<name>-<version>.tar.gz`` into ``out_dir`` and return its path.

    The sdist builds with ``setuptools.build_meta``: ``pyproject.toml`` carries
    ``[build-system]`` (``build_requires``) and a fully static ``[project]`` table; package
    code is ``<import_name>/__init__.py`` (``hello()`` reports origin ``"sdist"``).

    With ``c_extension=True`` a ``setup.py`` adds the extension ``<import_name>._native``
    (``add(a, b)`` and ``machine()``, the latter naming the CPU the compiler targeted via
    ``__x86_64__``/``__aarch64__``...); the package then imports it eagerly and gains
    ``native_hello()``. ``setup.py`` (not ``[tool.setuptools] ext-modules``) keeps it
    buildable with older setuptools releases such as Debian's.

    ``files`` adds or replaces files (paths relative to the sdist root). PKG-INFO uses
    ``metadata_version`` (2.2 by default, with no ``Dynamic`` fields, so it is static).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    dist = wheel_name_part(name)
    pkg = import_name(name)
    root = f"{dist}-{version}"
    extras = dict(extras or {})
    requires_dist = list(requires_dist)

    pyproject = [
        "[build-system]",
        f"requires = {_toml_list(build_requires)}",
        'build-backend = "setuptools.build_meta"',
        "",
        "[project]",
        f"name = {_toml_str(name)}",
        f"version = {_toml_str(version)}",
        f"description = {_toml_str(summary or f'Test sdist {name} {version}')}",
        f"dependencies = {_toml_list(str(Requirement(r)) for r in requires_dist)}",
    ]
    if requires_python:
        pyproject.append(f"requires-python = {_toml_str(requires_python)}")
    if extras:
        pyproject += ["", "[project.optional-dependencies]"]
        pyproject += [f"{normalize_name(e)} = {_toml_list(r)}" for e, r in extras.items()]
    for group, entries in (entry_points or {}).items():
        special = {"console_scripts": "scripts", "gui_scripts": "gui-scripts"}
        table = special.get(group, f'entry-points."{group}"')
        pyproject += ["", f"[project.{table}]"]
        pyproject += [f"{_toml_str(k)} = {_toml_str(v)}" for k, v in entries.items()]
    pyproject += ["", "[tool.setuptools]", f"packages = {_toml_list([pkg])}", ""]

    tree: dict[str, str | bytes] = {
        "PKG-INFO": _core_metadata(
            name,
            version,
            metadata_version=metadata_version,
            summary=summary or f"Test sdist {name} {version}",
            requires_dist=requires_dist,
            extras=extras,
            requires_python=requires_python,
        ),
        "pyproject.toml": "\n".join(pyproject),
        f"{pkg}/__init__.py": _default_init(
            name, version, "sdist", _NATIVE_INIT_EXTRA if c_extension else ""
        ),
    }
    if c_extension:
        tree["src/native.c"] = _NATIVE_C
        tree["setup.py"] = textwrap.dedent(
            f"""\
            from setuptools import Extension, setup

            setup(ext_modules=[Extension({f"{pkg}._native"!r}, sources=["src/native.c"])])
            """
        )
    if files:
        tree.update(files)

    path = out_dir / sdist_filename(name, version)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for rel, data in sorted(tree.items()):
            payload = _to_bytes(data)
            info = tarfile.TarInfo(f"{root}/{rel}")
            info.size = len(payload)
            info.mtime = SDIST_MTIME
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tf.addfile(info, io.BytesIO(payload))
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
            gz.write(buf.getvalue())
    return path
