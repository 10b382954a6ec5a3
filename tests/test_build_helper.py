"""Tests of uv/private/build_helper.py, the helper of the PySdistBuild action.

The helper runs as the action runs it (``python build_helper.py --sdist ... --out-dir ...``)
and is imported from its file for unit tests. Most end-to-end runs use ``python -S``, so the
helper sees only the standard library plus what it is given (``packaging`` and
``pyproject_hooks`` only when their wheels are supplied), as under a bare toolchain
interpreter. Sdists are generated here: hostile archives member by member, and projects
whose in-tree PEP 517 backend (``backend-path``) does what ``backend.json`` asks (print,
fail, make zero, one or several wheels of any name, ask for more requirements), so each
failure mode is reached without a real build. Real setuptools builds (pure, legacy
setup.py-only, C extension) run against the seed wheels.

Every run gets its own working directory and TMPDIR; afterwards the TMPDIR must be empty
(the helper cleans up and nothing escaped into it), and hostile archives must leave the
whole test directory exactly as it was.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.util
import io
import json
import os
import platform
import shutil
import stat
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import textwrap
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.markers import Marker

from tests.support.index_fixtures import seed_wheels
from tests.support.pkgbuild import build_sdist, build_wheel
from tests.support.prerequisites import require

REPO_ROOT = Path(__file__).resolve().parents[1]
HELPER = REPO_ROOT / "uv" / "private" / "build_helper.py"

PY = f"{sys.version_info.major}.{sys.version_info.minor}"
CP = f"cp{sys.version_info.major}{sys.version_info.minor}"
OTHER_PY = f"{sys.version_info.major}.{sys.version_info.minor - 1}"
HOST_OS = {"Linux": "linux", "Darwin": "macos", "Windows": "windows"}.get(platform.system(), "")
HOST_CPU = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}.get(
    platform.machine().lower(), ""
)
OTHER_CPU = "aarch64" if HOST_CPU == "x86_64" else "x86_64"
DEFAULT_EPOCH = 315532800  # 1980-01-01, what the helper uses without SOURCE_DATE_EPOCH
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
MTIME = 946684800  # 2000-01-01, for sdist members


def _load_helper():
    # The helper imports the wheel library beside it, as sys.path[0] gives it in actions.
    if str(HELPER.parent) not in sys.path:
        sys.path.insert(0, str(HELPER.parent))
    spec = importlib.util.spec_from_file_location("pyuv_build_helper", HELPER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bh = _load_helper()
import pyuv_wheel  # noqa: E402 (found through the helper's folder, put on sys.path above)

# --- Archives ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """One archive member, written exactly as given (no normalisation of the name)."""

    name: str
    kind: str = "file"  # file, dir, symlink, hardlink, chr, blk, fifo
    data: bytes | str = b""
    target: str | bytes = ""  # of a symlink or hard link (bytes: not UTF-8)
    mode: int = 0o644


_TAR_TYPES = {
    "file": tarfile.REGTYPE,
    "dir": tarfile.DIRTYPE,
    "symlink": tarfile.SYMTYPE,
    "hardlink": tarfile.LNKTYPE,
    "chr": tarfile.CHRTYPE,
    "blk": tarfile.BLKTYPE,
    "fifo": tarfile.FIFOTYPE,
}
_ZIP_TYPES = {
    "file": stat.S_IFREG,
    "dir": stat.S_IFDIR,
    "symlink": stat.S_IFLNK,
    "chr": stat.S_IFCHR,
    "blk": stat.S_IFBLK,
    "fifo": stat.S_IFIFO,
}
_TAR_MODES = {
    ".tar.gz": "w:gz",
    ".tgz": "w:gz",
    ".tar.bz2": "w:bz2",
    ".tar.xz": "w:xz",
    ".tar": "w",
}


def write_archive(path: Path, members: list[Member]) -> Path:
    """Writes members, in order, into a tar (any compression) or zip archive at path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.name.endswith((".zip", ".whl")):
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for m in members:
                if m.kind == "hardlink":
                    raise ValueError("zip archives have no hard links")
                info = zipfile.ZipInfo(m.name, date_time=(2000, 1, 1, 0, 0, 0))
                info.create_system = 3
                mode = 0o777 if m.kind == "symlink" else 0o755 if m.kind == "dir" else m.mode
                info.external_attr = (_ZIP_TYPES[m.kind] | mode) << 16
                data = m.target if m.kind == "symlink" else m.data
                zf.writestr(info, data.encode() if isinstance(data, str) else data)
        return path
    suffix = next(s for s in _TAR_MODES if path.name.endswith(s))
    with tarfile.open(
        path, _TAR_MODES[suffix], format=tarfile.PAX_FORMAT, errors="surrogateescape"
    ) as tf:
        for m in members:
            info = tarfile.TarInfo(m.name)
            if "\0" in m.name:  # ustar fields end at a NUL; a pax record keeps it
                info.pax_headers = {"path": m.name}
            info.type = _TAR_TYPES[m.kind]
            info.mtime = MTIME
            info.mode = 0o755 if m.kind == "dir" else m.mode
            # Undecodable bytes travel as surrogates, which tarfile writes back as bytes.
            target = m.target
            if isinstance(target, bytes):
                target = target.decode("utf-8", "surrogateescape")
            info.linkname = target
            if "\0" in target:
                info.pax_headers = {"linkpath": target}
            if m.kind in ("chr", "blk"):
                info.devmajor, info.devminor = (1, 3) if m.kind == "chr" else (7, 0)
            data = m.data.encode() if isinstance(m.data, str) else m.data
            if m.kind == "file":
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
            else:
                tf.addfile(info)
    return path


# An in-tree PEP 517 backend that does what backend.json (in the project root) says.
FAKE_BACKEND = r'''
"""A PEP 517 backend for tests: behaviour comes from backend.json."""
import json
import os
import random
import sys
import time
import zipfile


def _config():
    with open("backend.json") as f:
        return json.load(f)


def get_requires_for_build_wheel(config_settings=None):
    return _config().get("extra_requires", [])


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    config = _config()
    print(config.get("say", "FAKE-BACKEND-SAYS-HELLO"), flush=True)
    if config.get("fail"):
        raise RuntimeError(config["fail"])
    facts = {}
    if config.get("facts"):
        facts = {
            "argv0": sys.argv[0],
            "cwd": os.getcwd(),
            "sys_path": sys.path,
            "env": {k: os.environ.get(k) for k in ("PYTHONHASHSEED", "SOURCE_DATE_EPOCH")},
        }
        for module in config.get("imports", []):
            facts[module] = __import__(module).hello()
    for name in config.get("wheels", []):
        dist_name, dist_version = (name.split("-") + [""])[:2]
        dist = config.get("dist_info", f"{dist_name}-{dist_version}")
        metadata = f"Metadata-Version: 2.1\nName: {dist_name}\nVersion: {dist_version}\n"
        metadata = config.get("metadata", metadata)
        entries = [
            ("fake/__init__.py", "VALUE = 42\n", 0o644),
            ("fake/tool.sh", "#!/bin/sh\necho tool\n", 0o755),
            ("fake/data/b.txt", "b\n", 0o600),
            ("fake/data/a.txt", "a\n", 0o666),
            ("fake/_vendor/dep-2.0.dist-info/METADATA", "Name: dep\nVersion: 2.0\n", 0o644),
            ("fake/_vendor/dep-2.0.dist-info/RECORD", "dep stale record\n", 0o644),
            (f"{dist}.dist-info/METADATA", metadata, 0o644),
            (f"{dist}.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\n", 0o644),
            (f"{dist}.dist-info/RECORD", "stale,sha256=nonsense,1\n", 0o644),
        ]
        if facts:
            entries.append(("fake/facts.json", json.dumps(facts), 0o644))
        random.shuffle(entries)  # the helper must sort them
        with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as zf:
            zf.writestr("fake/", "")  # a directory entry, which the helper drops
            for arcname, text, mode in entries:
                info = zipfile.ZipInfo(arcname, date_time=time.localtime()[:6])
                info.external_attr = (0o100000 | mode) << 16
                zf.writestr(info, text)
    for name in config.get("other_files", []):
        with open(os.path.join(wheel_directory, name), "w") as f:
            f.write("not a wheel")
    wheels = config.get("wheels", [])
    return wheels[0] if wheels else ""
'''


def fake_project(
    name: str = "fake",
    version: str = "1.0",
    *,
    config: dict | None = None,
    requires: list[str] | tuple[str, ...] = (),
    backend_path: bool = True,
) -> list[Member]:
    """The members of an sdist whose in-tree backend follows config (see FAKE_BACKEND)."""
    if config is None:
        config = {"wheels": [f"{name}-{version}-py3-none-any.whl"]}
    top = f"{name}-{version}"
    pyproject = [
        "[build-system]",
        f"requires = {json.dumps(list(requires))}",
        'build-backend = "fakebackend"',
    ]
    if backend_path:
        pyproject.append('backend-path = ["_backend"]')
    return [
        Member(
            f"{top}/PKG-INFO", data=f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        ),
        Member(f"{top}/pyproject.toml", data="\n".join(pyproject) + "\n"),
        Member(f"{top}/backend.json", data=json.dumps(config)),
        Member(f"{top}/_backend/fakebackend.py", data=FAKE_BACKEND),
        # Without backend-path the backend sits where only the source tree would find it.
        Member(f"{top}/fakebackend.py", data=FAKE_BACKEND),
    ]


def fake_sdist(directory: Path, fmt: str = ".tar.gz", extra: list[Member] = (), **kw) -> Path:
    name, version = kw.get("name", "fake"), kw.get("version", "1.0")
    return write_archive(directory / f"{name}-{version}{fmt}", fake_project(**kw) + list(extra))


# --- Running the helper ------------------------------------------------------------------


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    out_dir: Path

    @property
    def wheels(self) -> list[Path]:
        return sorted(self.out_dir.glob("*")) if self.out_dir.exists() else []

    @property
    def wheel(self) -> Path:
        assert self.returncode == 0, self.stderr
        assert len(self.wheels) == 1, self.wheels
        return self.wheels[0]

    @property
    def message(self) -> str:
        """The helper's own failure message (it may span lines, e.g. a traceback)."""
        start = self.stderr.rfind("rules_pyuv: building ")
        assert start >= 0, self.stderr
        return self.stderr[start:]

    @property
    def error(self) -> str:
        """What went wrong: the message after its 'building X for Y from Z failed:' part."""
        return self.message.split(" failed: ", 1)[1]


def run_helper(
    sdist: Path,
    workdir: Path,
    *,
    name: str = "fake",
    version: str = "1.0",
    wheels: list[Path] | tuple[Path, ...] = (),
    target_os: str = HOST_OS,
    target_cpu: str = HOST_CPU,
    target_python: str = PY,
    interpreter_python: str | None = None,
    bare: bool = True,
    env: dict[str, str] | None = None,
    tmpdir: Path | None = None,
) -> Run:
    """Runs the helper in workdir/cwd with TMPDIR workdir/tmp (or tmpdir); checks cleanup."""
    cwd, tmp = workdir / "cwd", tmpdir or workdir / "tmp"
    cwd.mkdir(parents=True, exist_ok=True)
    tmp.mkdir(parents=True, exist_ok=True)
    out_dir = workdir / "out"
    cmd = [sys.executable, *(["-S"] if bare else []), str(HELPER)]
    cmd += ["--sdist", str(sdist), "--name", name, "--version", version]
    cmd += ["--target-os", target_os, "--target-cpu", target_cpu]
    cmd += ["--target-python", target_python]
    cmd += ["--interpreter-python", interpreter_python or target_python]
    cmd += ["--out-dir", str(out_dir)]
    for wheel in wheels:
        cmd += ["--requirement-wheel", str(wheel)]
    drop = ("PYTHONPATH", "PYTHONHASHSEED", "SOURCE_DATE_EPOCH", "CFLAGS", "PIP_")
    environ = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    environ.update(TMPDIR=str(tmp), PYTHONDONTWRITEBYTECODE="1", **(env or {}))
    proc = subprocess.run(cmd, cwd=cwd, env=environ, capture_output=True, text=True, timeout=300)
    assert sorted(p.name for p in tmp.iterdir()) == [], f"left in TMPDIR\n{proc.stderr}"
    assert sorted(p.name for p in cwd.iterdir()) == [], f"left in the cwd\n{proc.stderr}"
    return Run(proc.returncode, proc.stdout, proc.stderr, out_dir)


def tree_snapshot(root: Path) -> dict[str, str]:
    """Every path under root (links not followed) with its kind and content hash."""
    snap = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            rel = str(path.relative_to(root))
            if path.is_symlink():
                snap[rel] = "link:" + os.readlink(path)
            elif path.is_dir():
                snap[rel] = "dir"
            else:
                snap[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return snap


def wheel_entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def assert_canonical_wheel(path: Path, date_time: tuple = ZIP_EPOCH) -> None:
    """Sorted entries (top-level .dist-info last, RECORD at the end), fixed times and modes,
    and a RECORD that lists every other file with its right hash and size."""
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        dist_info = [n for n in names if n.split("/")[0].endswith(".dist-info")]
        record = dist_info[-1]
        assert record.endswith(".dist-info/RECORD") and record.count("/") == 1
        assert names == sorted(n for n in names if n not in dist_info) + sorted(dist_info[:-1]) + [
            record
        ]
        assert not [n for n in names if n.endswith("/")], "directory entries"
        for info in infos:
            assert info.date_time == date_time, info
            assert info.create_system == 3
            assert stat.S_IMODE(info.external_attr >> 16) in (0o644, 0o755), info
            assert stat.S_ISREG(info.external_attr >> 16), info
        rows = list(csv.reader(io.StringIO(zf.read(record).decode())))
        assert rows[-1] == [record, "", ""]
        assert [r[0] for r in rows[:-1]] == sorted(n for n in names if n != record)
        for file, digest, size in rows[:-1]:
            data = zf.read(file)
            assert (digest, size) == (record_hash(data), str(len(data))), file


# --- Fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeds() -> dict[str, Path]:
    """The seed wheels (setuptools, wheel, packaging) by project name."""
    return {w.name.split("-")[0]: w for w in seed_wheels()}


@pytest.fixture(scope="module")
def seed_dir(tmp_path_factory, seeds) -> Path:
    """A folder holding the seed wheels, as an upstream target's output folder would."""
    directory = tmp_path_factory.mktemp("seed-dir")
    for wheel in seeds.values():
        shutil.copy(wheel, directory)
    return directory


@pytest.fixture(scope="module")
def pyproject_hooks_wheel(tmp_path_factory) -> Path:
    """A wheel of the installed pyproject_hooks (pure Python), assembled offline."""
    try:
        import pyproject_hooks
    except ImportError:  # tools/setup installs it (tools/requirements.txt)
        require("pyproject_hooks is not installed in the test environment; run tools/setup")
    package = Path(pyproject_hooks.__file__).parent
    files = {
        f"pyproject_hooks/{p.relative_to(package).as_posix()}": p.read_bytes()
        for p in sorted(package.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }
    out = tmp_path_factory.mktemp("pyproject-hooks-wheel")
    return build_wheel(out, "pyproject_hooks", pyproject_hooks.__version__, files=files)


RUNNERS = ["fallback-runner", "pyproject_hooks"]


@pytest.fixture(params=RUNNERS)
def runner_wheels(request) -> list[Path]:
    """Requirement wheels selecting how hooks are called: the helper's own small runner, or
    pyproject_hooks (used when its wheel is among the build requirements)."""
    if request.param == "pyproject_hooks":
        return [request.getfixturevalue("pyproject_hooks_wheel")]
    return []


# --- Unit tests: member names, markers, requirements ------------------------------------


@pytest.mark.parametrize(
    "name, parts",
    [
        ("pkg-1.0/setup.py", ["pkg-1.0", "setup.py"]),
        ("./pkg-1.0//a/./b.py", ["pkg-1.0", "a", "b.py"]),
        ("pkg-1.0/", ["pkg-1.0"]),
        ("pkg..1/a..b", ["pkg..1", "a..b"]),
    ],
)
def test_member_parts_accepts_names_inside_the_tree(name, parts):
    assert bh._member_parts("x.tar.gz", name) == parts


@pytest.mark.parametrize(
    "name, why",
    [
        ("/etc/passwd", "absolute path"),
        ("//server/share", "absolute path"),
        ("C:/Windows/evil", "absolute path"),
        ("c:evil", "absolute path"),
        ("\\evil", "absolute path"),
        ("..", "'..'"),
        ("pkg/../../evil", "'..'"),
        ("pkg\\..\\..\\evil", "'..'"),
        ("pkg/sub/../x", "'..'"),
        ("./", "empty path"),
        ("", "empty path"),
    ],
)
def test_member_parts_refuses_names_outside_the_tree(name, why):
    with pytest.raises(bh.BuildError) as e:
        bh._member_parts("x-1.0.tar.gz", name)
    assert str(e.value).startswith(f"x-1.0.tar.gz: member {name!r}")
    assert why in str(e.value)


MARKER_ENVIRONMENTS = {
    "linux-x86_64-3.11": {
        "os_name": "posix",
        "sys_platform": "linux",
        "platform_machine": "x86_64",
        "platform_release": "6.1.0-18-amd64",
        "platform_system": "Linux",
        "platform_version": "#1 SMP Debian 6.1.76-1",
        "platform_python_implementation": "CPython",
        "python_version": "3.11",
        "python_full_version": "3.11.7",
        "implementation_name": "cpython",
        "implementation_version": "3.11.7",
        "extra": "",
    },
    "macos-arm64-3.9": {
        "os_name": "posix",
        "sys_platform": "darwin",
        "platform_machine": "arm64",
        "platform_release": "23.1.0",
        "platform_system": "Darwin",
        "platform_version": "Darwin Kernel Version 23.1.0",
        "platform_python_implementation": "CPython",
        "python_version": "3.9",
        "python_full_version": "3.9.18",
        "implementation_name": "cpython",
        "implementation_version": "3.9.18",
        "extra": "",
    },
    "windows-amd64-3.12": {
        "os_name": "nt",
        "sys_platform": "win32",
        "platform_machine": "AMD64",
        "platform_release": "10",
        "platform_system": "Windows",
        "platform_version": "10.0.22631",
        "platform_python_implementation": "CPython",
        "python_version": "3.12",
        "python_full_version": "3.12.1",
        "implementation_name": "cpython",
        "implementation_version": "3.12.1",
        "extra": "",
    },
}

MARKERS = [
    'python_version >= "3.8"',
    "python_version < '3.11'",
    "python_version<'3.10'",
    "'3.11' <= python_version",
    'python_version > "3.9"',
    'python_version == "3.11"',
    'python_version != "3.12"',
    'python_version == "3.11.0"',
    'python_full_version == "3.11.*"',
    'python_full_version != "3.9.*"',
    'python_full_version >= "3.11.5"',
    'python_version ~= "3.9"',
    'python_full_version ~= "3.11.0"',
    'python_version === "3.12"',
    'sys_platform == "linux" and platform_machine == "x86_64"',
    'sys_platform == "linux" and platform_machine == "aarch64"',
    '(os_name == "nt" or sys_platform == "darwin") and python_version > "3"',
    'os_name == "nt" or sys_platform == "darwin" and python_version < "3"',
    'platform_machine in "x86_64 aarch64"',
    'platform_machine not in "x86_64 aarch64"',
    '"arm" in platform_machine',
    '"arm" not in platform_machine',
    "implementation_name == 'cpython'",
    'platform_python_implementation != "PyPy"',
    'platform_system == "Windows"',
    'platform_release == "6.1.0-18-amd64"',
    'platform_release != "6.1.0-19-amd64"',
    'extra == "test"',
    '((python_version >= "3.9") and (python_version < "3.12")) or extra == "all"',
    'python_version >= "3" and os_name == "and"',
]


@pytest.mark.parametrize("environment", sorted(MARKER_ENVIRONMENTS))
@pytest.mark.parametrize("marker", MARKERS)
def test_marker_fallback_agrees_with_packaging(marker, environment):
    """Without packaging the helper evaluates markers itself; it must agree with packaging."""
    env = MARKER_ENVIRONMENTS[environment]
    assert bh.evaluate_marker(marker, env) == Marker(marker).evaluate(dict(env))


def test_marker_fallback_uses_the_running_interpreter():
    env = bh.marker_environment()
    assert env["python_version"] == PY
    assert env["sys_platform"] == sys.platform
    assert bh.evaluate_marker(f'python_version == "{PY}"')
    assert not bh.evaluate_marker(f'python_version == "{OTHER_PY}"')


@pytest.mark.parametrize(
    "marker, why",
    [
        ('python_versions == "3.11"', "unknown variable 'python_versions'"),
        ('python_version = "3.11"', "cannot read the marker"),
        ('python_version == "3.11" and', "cannot read the marker"),
        ('__import__("os") == "x"', "cannot read the marker"),
        ("", "cannot read the marker"),
        ('sys_platform < "linux"', "cannot compare 'linux' < 'linux'"),
    ],
)
def test_marker_fallback_refuses_what_it_cannot_read(marker, why):
    with pytest.raises(bh.BuildError, match="marker|compare") as e:
        bh.evaluate_marker(marker, MARKER_ENVIRONMENTS["linux-x86_64-3.11"])
    assert why in str(e.value)


@pytest.fixture(params=["packaging", "no-packaging"])
def requirement_parser(request, monkeypatch):
    """missing_requirements with packaging importable, and without it (the fallback)."""
    if request.param == "no-packaging":
        monkeypatch.setitem(sys.modules, "packaging.requirements", None)
    return request.param


def test_missing_requirements_names_what_is_absent(requirement_parser):
    requires = [
        "setuptools>=40",
        "Cython>=3",
        "wheel",
        "tomli>=1; python_version < '3.0'",
        f"needed-here; python_version == '{PY}'",
        "Mixed.Case_Name[extra]>=1",
    ]
    installed = {"setuptools": "84.2.1", "wheel": "0.48.0", "mixed-case-name": "1.0"}
    missing = bh.missing_requirements(requires, installed)
    assert missing == ["Cython>=3", f"needed-here; python_version == '{PY}'"]


def test_missing_requirements_checks_versions_with_packaging(requirement_parser):
    installed = {"cython": "0.29.36", "setuptools": "84.2.1"}
    missing = bh.missing_requirements(["cython>=3", "setuptools>=61,<90"], installed)
    if requirement_parser == "packaging":
        assert missing == ["cython>=3 (the lock supplies cython 0.29.36)"]
    else:  # without packaging the versions are not compared: the lock chose them
        assert missing == []


def test_missing_requirements_accepts_prereleases_the_lock_chose():
    assert bh.missing_requirements(["flit_core>=3.10"], {"flit-core": "3.12.0rc1"}) == []


def test_missing_message_says_how_to_add_to_the_lock():
    message = bh._missing_message(["cython>=3", "numpy>=2 (the lock supplies numpy 1.26.4)"], "x")
    assert "the build requirements of x are not all supplied: cython>=3, numpy>=2" in message
    assert "`uv add --group build cython numpy`" in message
    assert "build_dependencies" in message


# --- Unit tests: the wheel guard (tag fit itself: tests/test_wheel_library.py) ----------


LINUX_X86 = {"os": "linux", "cpu": "x86_64", "python": "3.11"}


@pytest.mark.parametrize(
    "filename, target",
    [
        ("foo-1.0-py3-none-any.whl", LINUX_X86),
        ("foo-1.0-py2.py3-none-any.whl", {"os": "windows", "cpu": "aarch64", "python": "3.12"}),
        ("foo-1.0-cp311-cp311-linux_x86_64.whl", LINUX_X86),
        ("foo-1.0-1build-cp311-cp311-linux_x86_64.whl", LINUX_X86),
        ("Foo.Bar-1.0-cp38-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", LINUX_X86),
        ("foo-1.0-cp311-cp311-musllinux_1_2_x86_64.whl", LINUX_X86),
        ("foo-1.0-cp311-cp311-macosx_10_9_universal2.whl", {**LINUX_X86, "os": "macos"}),
        (
            "foo-1.0-cp311-cp311-macosx_11_0_arm64.whl",
            {**LINUX_X86, "os": "macos", "cpu": "aarch64"},
        ),
        ("foo-1.0-cp311-cp311-win_amd64.whl", {**LINUX_X86, "os": "windows"}),
        ("foo-1.0-cp311-cp311-win_arm64.whl", {**LINUX_X86, "os": "windows", "cpu": "aarch64"}),
        ("foo-1.0.0-py3-none-any.whl", LINUX_X86),  # 1.0 == 1.0.0
        ("foo-1.0-py3-none-any.whl", LINUX_X86),
    ],
)
def test_check_wheel_accepts(filename, target):
    name = "foo.bar" if filename.startswith("Foo") else "Foo"
    bh.check_wheel(filename, name, "1.0", target)


@pytest.mark.parametrize(
    "filename, target, expected",
    [
        ("foo-1.0.whl", LINUX_X86, "'foo-1.0.whl', which is not a wheel file name"),
        ("foo-1.0-py3-none-any.zip", LINUX_X86, "not a wheel file name"),
        ("bar-1.0-py3-none-any.whl", LINUX_X86, "built a wheel of another project"),
        ("foo_extra-1.0-py3-none-any.whl", LINUX_X86, "another project"),
        ("foo-2.0-py3-none-any.whl", LINUX_X86, "built version 2.0 (foo-2.0-py3-none-any.whl)"),
        ("foo-1.0.post1-py3-none-any.whl", LINUX_X86, "the lock and the sdist disagree"),
        ("foo-1.0-cp311-cp311-linux_aarch64.whl", LINUX_X86, "does not run on the target"),
        ("foo-1.0-cp312-cp312-linux_x86_64.whl", LINUX_X86, "linux_x86_64 with CPython 3.11"),
        ("foo-1.0-cp311-cp311-macosx_11_0_x86_64.whl", LINUX_X86, "does not run on the target"),
        ("foo-1.0-cp311-cp311-win_amd64.whl", LINUX_X86, "does not run on the target"),
        ("foo-1.0-cp312-abi3-linux_x86_64.whl", LINUX_X86, "does not run on the target"),
        ("foo-1.0-py3-none-any.whl", {**LINUX_X86, "python": "2.7"}, "does not run"),
    ],
)
def test_check_wheel_refuses(filename, target, expected):
    with pytest.raises(bh.BuildError) as e:
        bh.check_wheel(filename, "foo", "1.0", target)
    assert expected in str(e.value)


def test_check_wheel_message_names_the_wheel_target_and_machine():
    with pytest.raises(bh.BuildError) as e:
        bh.check_wheel(
            "foo-1.0-cp311-cp311-linux_x86_64.whl", "foo", "1.0", {**LINUX_X86, "cpu": "aarch64"}
        )
    message = str(e.value)
    assert (
        "foo-1.0-cp311-cp311-linux_x86_64.whl does not run on the target linux_aarch64" in message
    )
    assert f"ran on a {platform.system().lower()} {platform.machine()} machine" in message
    assert "execution platform" in message


def test_versions_compare_as_pep440_says():
    # The stdlib comparison; tests/test_helper_limits.py checks it against packaging.
    key = pyuv_wheel.version_key
    assert key("1.0") == key("1.0.0") == key("1") == key("v1.0")
    assert key("2.0.1rc1") == key("2.0.1rc1")
    assert key("1.0") != key("1.0.1")
    assert key("1.0") != key("1.0.post1")
    assert key("1.10") != key("1.1")


# --- Unit tests: reading pyproject.toml, installing wheels, rewriting --------------------


def test_read_build_system(tmp_path):
    assert bh.read_build_system(tmp_path) == (
        ["setuptools>=40.8.0"],
        "setuptools.build_meta:__legacy__",
        [],
    )
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert bh.read_build_system(tmp_path)[1] == "setuptools.build_meta:__legacy__"
    (tmp_path / "pyproject.toml").write_text('[build-system]\nrequires = ["flit_core>=3"]\n')
    assert bh.read_build_system(tmp_path) == (
        ["flit_core>=3"],
        "setuptools.build_meta:__legacy__",
        [],
    )
    (tmp_path / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "b:obj"\nbackend-path = ["."]\n'
    )
    assert bh.read_build_system(tmp_path) == ([], "b:obj", ["."])


@pytest.mark.parametrize(
    "text, expected",
    [
        ("[build-system\n", "pyproject.toml of the sdist is not valid TOML"),
        ('[build-system]\nbuild-backend = "x"\n', "[build-system] has no 'requires' list"),
        ('[build-system]\nrequires = "setuptools"\n', "has no 'requires' list"),
    ],
)
def test_read_build_system_refuses_bad_pyproject(tmp_path, text, expected):
    (tmp_path / "pyproject.toml").write_text(text)
    with pytest.raises(bh.BuildError, match="pyproject.toml") as e:
        bh.read_build_system(tmp_path)
    assert expected in str(e.value)


def test_requirement_wheels_are_installed_by_the_one_installer(tmp_path):
    wheel = build_wheel(
        tmp_path / "w",
        "tool",
        "1.0",
        files={
            "tool/__init__.py": "X = 1\n",
            "tool-1.0.data/purelib/tool_pure.py": "P = 1\n",
            "tool-1.0.data/platlib/tool_plat.py": "Q = 1\n",
            "tool-1.0.data/scripts/tool-cli": "#!python\n",
        },
    )
    limits = pyuv_wheel.UnpackLimits.from_args({}, bh.BuildError)
    [tree] = bh.install_requirements([wheel], tmp_path / "reqs", limits)
    site = tree / "site-packages"
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()) == [
        "tool-1.0.dist-info/INSTALLER",
        "tool-1.0.dist-info/METADATA",
        "tool-1.0.dist-info/RECORD",
        "tool-1.0.dist-info/WHEEL",
        "tool/__init__.py",
        "tool_plat.py",
        "tool_pure.py",
    ]
    assert [p.name for p in (tree / "bin").iterdir()] == ["tool-cli"]
    assert os.access(tree / "bin" / "tool-cli", os.X_OK)
    assert bh.installed_distributions([site]) == {"tool": "1.0"}


def test_requirement_wheels_are_checked_against_their_record(tmp_path):
    """The build environment gets the installer's checks: a member RECORD does not list
    is refused, where the old unpacker took any wheel as it came."""
    wheel = tmp_path / "evil-1.0-py3-none-any.whl"
    good = build_wheel(tmp_path / "w", "evil", "1.0", files={"evil/__init__.py": ""})
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(wheel, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("evil/extra.py", "print('not in RECORD')\n")
    limits = pyuv_wheel.UnpackLimits.from_args({}, bh.BuildError)
    with pytest.raises(bh.WheelError, match="'evil/extra.py' is not listed in RECORD"):
        bh.install_requirements([wheel], tmp_path / "reqs", limits)


def test_requirement_wheel_members_cannot_escape(tmp_path):
    wheel = tmp_path / "evil-1.0-py3-none-any.whl"
    write_archive(wheel, [Member("../../evil.py", data="x")])
    limits = pyuv_wheel.UnpackLimits.from_args({}, bh.BuildError)
    with pytest.raises(bh.WheelError, match="evil-1.0-py3-none-any.whl: member '../../evil.py'"):
        bh.install_requirements([wheel], tmp_path / "reqs", limits)
    assert not (tmp_path / "evil.py").exists()


def test_find_wheels_takes_files_and_folders(tmp_path, seed_dir, seeds):
    found = bh.find_wheels([str(seed_dir), str(seeds["packaging"])])
    assert [p.name for p in found] == sorted(p.name for p in seeds.values()) + [
        seeds["packaging"].name
    ]


def _backend_style_wheel(
    path: Path, entries: list[tuple[str, bytes, int]], time=(2024, 5, 6, 7, 8, 10)
):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("pkg/", b"")
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name, date_time=time)
            info.external_attr = (stat.S_IFREG | mode) << 16
            zf.writestr(info, data)
    return path


REWRITE_ENTRIES = [
    ("pkg-1.0.dist-info/RECORD", b"stale", 0o644),
    ("pkg-1.0.dist-info/WHEEL", b"Wheel-Version: 1.0\n", 0o600),
    ("pkg/zz.py", b"Z = 1\n", 0o664),
    ("pkg/_vendor/dep-1.0.dist-info/RECORD", b"dep record\n", 0o644),
    ("pkg-1.0.data/scripts/run", b"#!python\n", 0o775),
    ("pkg-1.0.dist-info/METADATA", b"Name: pkg\n", 0o644),
    ("pkg/__init__.py", b"", 0o644),
    ("pkg/_vendor/dep-1.0.dist-info/METADATA", b"Name: dep\n", 0o644),
]


def test_rewrite_wheel_is_canonical(tmp_path):
    source = _backend_style_wheel(tmp_path / "in.whl", REWRITE_ENTRIES)
    dest = tmp_path / "pkg-1.0-py3-none-any.whl"
    bh.rewrite_wheel(source, dest, DEFAULT_EPOCH)
    assert_canonical_wheel(dest)
    entries = wheel_entries(dest)
    assert list(entries) == [
        "pkg-1.0.data/scripts/run",
        "pkg/__init__.py",
        "pkg/_vendor/dep-1.0.dist-info/METADATA",
        "pkg/_vendor/dep-1.0.dist-info/RECORD",
        "pkg/zz.py",
        "pkg-1.0.dist-info/METADATA",
        "pkg-1.0.dist-info/WHEEL",
        "pkg-1.0.dist-info/RECORD",
    ]
    # A vendored RECORD is content like any other: kept, and listed in the wheel's RECORD.
    assert entries["pkg/_vendor/dep-1.0.dist-info/RECORD"] == b"dep record\n"
    with zipfile.ZipFile(dest) as zf:
        modes = {i.filename: stat.S_IMODE(i.external_attr >> 16) for i in zf.infolist()}
    assert modes["pkg-1.0.data/scripts/run"] == 0o755
    assert modes["pkg/zz.py"] == modes["pkg-1.0.dist-info/WHEEL"] == 0o644


def test_rewrite_wheel_ignores_entry_order_and_times(tmp_path):
    first = _backend_style_wheel(tmp_path / "a.whl", REWRITE_ENTRIES)
    second = _backend_style_wheel(
        tmp_path / "b.whl", REWRITE_ENTRIES[::-1], time=(2030, 1, 1, 0, 0, 0)
    )
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    bh.rewrite_wheel(first, tmp_path / "a" / "x.whl", DEFAULT_EPOCH)
    bh.rewrite_wheel(second, tmp_path / "b" / "x.whl", DEFAULT_EPOCH)
    assert (tmp_path / "a" / "x.whl").read_bytes() == (tmp_path / "b" / "x.whl").read_bytes()


@pytest.mark.parametrize(
    "epoch, date_time",
    [(0, ZIP_EPOCH), (DEFAULT_EPOCH, ZIP_EPOCH), (1700000000, (2023, 11, 14, 22, 13, 20))],
)
def test_rewrite_wheel_dates_entries_from_source_date_epoch(tmp_path, epoch, date_time):
    source = _backend_style_wheel(tmp_path / "in.whl", REWRITE_ENTRIES)
    bh.rewrite_wheel(source, tmp_path / "out.whl", epoch)
    assert_canonical_wheel(tmp_path / "out.whl", date_time=date_time)


def test_rewrite_wheel_needs_a_record(tmp_path):
    source = _backend_style_wheel(
        tmp_path / "in.whl",
        [("pkg/__init__.py", b"", 0o644), ("pkg/x.dist-info/RECORD", b"", 0o644)],
    )
    with pytest.raises(bh.BuildError, match="the built wheel in.whl has no .dist-info/RECORD"):
        bh.rewrite_wheel(source, tmp_path / "out.whl", DEFAULT_EPOCH)


# --- Unit tests: unpacking ---------------------------------------------------------------


GOOD_TREE = [
    Member("good-1.0/", kind="dir"),
    Member("good-1.0/pyproject.toml", data="[build-system]\nrequires = []\n"),
    Member("good-1.0/run.sh", data="#!/bin/sh\n", mode=0o755),
    Member("good-1.0/pkg/__init__.py", data="X = 1\n"),
    Member("good-1.0/pkg/data/", kind="dir"),
    Member("good-1.0/alias", kind="symlink", target="pkg/__init__.py"),
    Member("good-1.0/pkg/up", kind="symlink", target="../run.sh"),
    Member("good-1.0/pkg/self", kind="symlink", target="."),
    Member("good-1.0/pkg/data/up2", kind="symlink", target="../../pyproject.toml"),
]


@pytest.mark.parametrize("fmt", [".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar", ".zip"])
def test_extract_sdist_unpacks_a_good_tree(tmp_path, fmt):
    members = list(GOOD_TREE)
    if fmt != ".zip":
        members.append(
            Member("good-1.0/copy.py", kind="hardlink", target="good-1.0/pkg/__init__.py")
        )
    archive = write_archive(tmp_path / f"good-1.0{fmt}", members)
    project = bh.extract_sdist(archive, tmp_path / "dest")
    assert project == tmp_path / "dest" / "good-1.0"
    assert (project / "pkg" / "__init__.py").read_text() == "X = 1\n"
    assert os.access(project / "run.sh", os.X_OK)
    assert not os.access(project / "pkg" / "__init__.py", os.X_OK)
    assert os.readlink(project / "alias") == "pkg/__init__.py"
    assert (project / "alias").read_text() == "X = 1\n"
    assert (project / "pkg" / "up").read_text() == "#!/bin/sh\n"
    assert (project / "pkg" / "data" / "up2").read_text().startswith("[build-system]")
    if fmt != ".zip":  # hard links become copies
        assert not (project / "copy.py").is_symlink()
        assert (project / "copy.py").read_text() == "X = 1\n"


def test_extract_sdist_accepts_a_flat_archive(tmp_path):
    archive = write_archive(
        tmp_path / "flat-1.0.zip",
        [Member("pyproject.toml", data=""), Member("pkg/__init__.py", data="")],
    )
    assert bh.extract_sdist(archive, tmp_path / "dest") == tmp_path / "dest"


@pytest.mark.parametrize(
    "filename, members, expected",
    [
        ("x-1.0.tar.gz", [], "x-1.0.tar.gz: expected one top-level folder, found []"),
        ("x-1.0.zip", [], "x-1.0.zip: expected one top-level folder, found []"),
        (
            "x-1.0.tar.gz",
            [Member("a/setup.py"), Member("b/setup.py")],
            "expected one top-level folder, found ['a', 'b']",
        ),
        (
            "x-1.0.tar.gz",
            [Member("x-1.0/setup.py"), Member("x-1.0/setup.py/inner.py")],
            "x-1.0.tar.gz: cannot unpack member 'x-1.0/setup.py",
        ),
        (
            "x-1.0.zip",
            [Member("x-1.0/pkg/", kind="dir"), Member("x-1.0/pkg", data="file now")],
            "x-1.0.zip: cannot unpack member 'x-1.0/pkg'",
        ),
        (
            "x-1.0.tar.gz",
            [Member("x-1.0/a"), Member("x-1.0/a", kind="symlink", target="b")],
            "x-1.0.tar.gz: cannot unpack member 'x-1.0/a': File exists",
        ),
    ],
)
def test_extract_sdist_refuses_odd_trees(tmp_path, filename, members, expected):
    archive = write_archive(tmp_path / filename, members)
    with pytest.raises(bh.BuildError) as e:
        bh.extract_sdist(archive, tmp_path / "dest")
    assert expected in str(e.value)


@pytest.mark.parametrize(
    "filename, content, expected",
    [
        ("x-1.0.rar", b"", "x-1.0.rar: not an sdist archive (.tar.gz or .zip)"),
        ("x-1.0.tar.gz", b"junk" * 100, "x-1.0.tar.gz: not a readable tar archive"),
        ("x-1.0.zip", b"junk" * 100, "x-1.0.zip: not a readable zip archive"),
    ],
)
def test_extract_sdist_refuses_non_archives(tmp_path, filename, content, expected):
    (tmp_path / filename).write_bytes(content)
    with pytest.raises(bh.BuildError) as e:
        bh.extract_sdist(tmp_path / filename, tmp_path / "dest")
    assert expected in str(e.value)


# --- Hostile archives, end to end --------------------------------------------------------

# Each case: (id, formats, members(top, sentinel), what the error must say). `top` is the
# project folder, `sentinel` the absolute path of a folder beside the helper's TMPDIR.
# The unpacking root is <TMPDIR>/pyuv-sdist-*/src, so from <top> "../../../../sentinel"
# is the sentinel folder.
UP = "../../../../sentinel"
TAR, ZIP, BOTH = (".tar.gz",), (".zip",), (".tar.gz", ".zip")
HOSTILE = [
    (
        "absolute-path",
        BOTH,
        lambda top, s: [Member(f"{s}/evil.py", data="x")],
        lambda top, s: [f"member '{s}/evil.py' has an absolute path"],
    ),
    (
        "absolute-windows-path",
        ZIP,
        lambda top, s: [Member("C:/evil.py", data="x")],
        lambda top, s: ["member 'C:/evil.py' has an absolute path"],
    ),
    (
        "dotdot",
        BOTH,
        lambda top, s: [Member(f"{top}/{UP}/evil.py", data="x")],
        lambda top, s: [f"member '{top}/{UP}/evil.py' leaves the archive's tree through '..'"],
    ),
    (
        "dotdot-backslashes",
        ZIP,
        lambda top, s: [Member(f"{top}\\..\\..\\..\\..\\sentinel\\evil.py", data="x")],
        lambda top, s: ["leaves the archive's tree through '..'", "sentinel\\\\evil.py"],
    ),
    (
        "symlink-absolute",
        BOTH,
        lambda top, s: [Member(f"{top}/link", kind="symlink", target=s)],
        lambda top, s: [f"link '{top}/link' points to absolute path '{s}'"],
    ),
    (
        "symlink-dotdot",
        BOTH,
        lambda top, s: [Member(f"{top}/pkg/link", kind="symlink", target=f"../{UP}/keep")],
        lambda top, s: [f"link '{top}/pkg/link' -> '../{UP}/keep' points outside the tree"],
    ),
    (
        "symlink-to-the-parent-of-the-tree",
        BOTH,
        lambda top, s: [Member(f"{top}/link", kind="symlink", target="../..")],
        lambda top, s: [f"link '{top}/link' -> '../..' points outside the tree"],
    ),
    (
        # Neither link escapes alone, in order of creation: a -> . is harmless, and b only
        # escapes through a.
        "symlink-chain",
        BOTH,
        lambda top, s: [
            Member(f"{top}/a", kind="symlink", target="."),
            Member(f"{top}/b", kind="symlink", target="a/../.."),
        ],
        lambda top, s: [f"link '{top}/b' -> 'a/../..' points outside the tree"],
    ),
    (
        # x is inside the tree when made (y does not exist yet); y -> . then sends it out.
        "symlink-chain-escaping-late",
        BOTH,
        lambda top, s: [
            Member(f"{top}/x", kind="symlink", target="y/../.."),
            Member(f"{top}/y", kind="symlink", target="."),
        ],
        lambda top, s: [f"link '{top}/x' -> 'y/../..' points outside the tree"],
    ),
    (
        # up leads to the sentinel folder; links "inside" it would be made there.
        "symlink-through-symlink",
        BOTH,
        lambda top, s: [
            Member(f"{top}/up", kind="symlink", target=UP),
            Member(f"{top}/up/evil", kind="symlink", target="keep"),
            Member(f"{top}/up/newdir/evil", kind="symlink", target="keep"),
        ],
        lambda top, s: [f"link '{top}/up/evil' lies inside another link"],
    ),
    (
        "symlink-made-after-a-link-inside-it",
        BOTH,
        lambda top, s: [
            Member(f"{top}/up/evil", kind="symlink", target="keep"),
            Member(f"{top}/up", kind="symlink", target=UP),
        ],
        lambda top, s: [f"cannot unpack member '{top}/up'"],
    ),
    (
        "file-through-symlink",
        BOTH,
        lambda top, s: [
            Member(f"{top}/up", kind="symlink", target=UP),
            Member(f"{top}/up/evil.py", data="x"),
        ],
        lambda top, s: [f"cannot unpack member '{top}/up'"],
    ),
    (
        "hardlink-absolute",
        TAR,
        lambda top, s: [Member(f"{top}/hl", kind="hardlink", target=f"{s}/keep")],
        lambda top, s: [f"hard link '{top}/hl' -> '{s}/keep' does not point to a regular file"],
    ),
    (
        "hardlink-dotdot",
        TAR,
        lambda top, s: [Member(f"{top}/hl", kind="hardlink", target=f"{top}/{UP}/keep")],
        lambda top, s: [f"hard link '{top}/hl' -> '{top}/{UP}/keep' does not point to a regular"],
    ),
    (
        "hardlink-to-a-non-member",
        TAR,
        lambda top, s: [Member(f"{top}/hl", kind="hardlink", target=f"{top}/not-there")],
        lambda top, s: [f"hard link '{top}/hl' -> '{top}/not-there' does not point to a regular"],
    ),
    (
        "hardlink-to-a-symlink",
        TAR,
        lambda top, s: [
            Member(f"{top}/s", kind="symlink", target=f"../{UP}/keep"),
            Member(f"{top}/hl", kind="hardlink", target=f"{top}/s"),
        ],
        lambda top, s: [f"hard link '{top}/hl' -> '{top}/s' does not point to a regular file"],
    ),
    # Both formats name the file type the same way (zip used to say "not a regular file").
    (
        "char-device",
        BOTH,
        lambda top, s: [Member(f"{top}/null", kind="chr")],
        lambda top, s: [f"member '{top}/null' is a device file"],
    ),
    (
        "block-device",
        BOTH,
        lambda top, s: [Member(f"{top}/sda", kind="blk")],
        lambda top, s: [f"member '{top}/sda' is a device file"],
    ),
    (
        "fifo",
        BOTH,
        lambda top, s: [Member(f"{top}/pipe", kind="fifo")],
        lambda top, s: [f"member '{top}/pipe' is a fifo file"],
    ),
    (
        "symlink-target-not-utf8",
        BOTH,
        lambda top, s: [Member(f"{top}/link", kind="symlink", target=b"caf\xe9")],
        lambda top, s: [f"link '{top}/link' has a target that is not UTF-8"],
    ),
    (
        "symlink-target-with-nul",
        BOTH,
        lambda top, s: [Member(f"{top}/link", kind="symlink", target="a\0b")],
        lambda top, s: [f"link '{top}/link' has a NUL character in its target"],
    ),
    (
        "member-name-with-nul",
        TAR,
        lambda top, s: [Member(f"{top}/a\0b", data="x")],
        lambda top, s: ["has a NUL character in its name"],
    ),
]


@pytest.mark.parametrize(
    "case, fmt",
    [pytest.param(case, fmt, id=f"{case[0]}{fmt}") for case in HOSTILE for fmt in case[1]],
)
def test_hostile_archive_is_refused_and_nothing_escapes(tmp_path, case, fmt):
    _, _, members, expected = case
    sentinel = tmp_path / "sentinel"
    sentinel.mkdir()
    (sentinel / "keep").write_text("keep")
    top = "fake-1.0"
    sdist = fake_sdist(tmp_path / "sdist", fmt, extra=members(top, str(sentinel)))
    (tmp_path / "tmp").mkdir()
    before = tree_snapshot(tmp_path)

    run = run_helper(sdist, tmp_path / "run", tmpdir=tmp_path / "tmp")

    after = tree_snapshot(tmp_path)
    after = {k: v for k, v in after.items() if not k.startswith("run")}  # the (empty) cwd
    assert after == before  # the sentinel, TMPDIR and the sdist folder are as they were
    assert run.returncode == 1, run.stderr
    assert run.error.startswith(f"{sdist.name}: "), run.error
    for text in expected(top, str(sentinel)):
        assert text in run.error
    assert "Traceback" not in run.stderr
    assert "FAKE-BACKEND-SAYS-HELLO" not in run.stderr  # refused before any build
    assert not run.wheels


def test_hostile_archive_fails_the_same_when_run_from_another_tmpdir_depth(tmp_path):
    """The links point to where the sentinel would be; from a deeper TMPDIR they land
    elsewhere but are still outside the tree and still refused."""
    sentinel = tmp_path / "sentinel"
    sentinel.mkdir()
    members = [Member("fake-1.0/up", kind="symlink", target="../../../../../../../../..")]
    sdist = fake_sdist(tmp_path / "sdist", extra=members)
    run = run_helper(sdist, tmp_path / "run", tmpdir=tmp_path / "a" / "b" / "c")
    assert run.returncode == 1
    assert "link 'fake-1.0/up' -> '../../../../../../../../..' points outside the tree" in run.error


# --- The backend -------------------------------------------------------------------------


def test_fake_backend_builds_and_a_successful_build_stays_quiet(tmp_path, runner_wheels):
    config = {"wheels": ["fake-1.0-py3-none-any.whl"], "facts": True}
    sdist = fake_sdist(tmp_path / "sdist", config=config)
    run = run_helper(sdist, tmp_path / "run", wheels=runner_wheels)
    assert run.returncode == 0, run.stderr
    assert run.wheel.name == "fake-1.0-py3-none-any.whl"
    # The backend's output is shown only when it fails (Bazel would print it every time).
    assert "FAKE-BACKEND-SAYS-HELLO" not in run.stderr
    assert run.stdout == ""
    assert_canonical_wheel(run.wheel)
    facts = json.loads(wheel_entries(run.wheel)["fake/facts.json"])
    # Which runner called the hook: pyproject_hooks when its wheel was supplied.
    if runner_wheels:
        assert facts["argv0"].endswith("_in_process.py")
    else:
        assert facts["argv0"] == "-c"
    # PEP 517: the source tree is not importable (only backend-path is).
    assert facts["cwd"] not in facts["sys_path"] and "" not in facts["sys_path"]
    assert os.path.join(facts["cwd"], "_backend") in facts["sys_path"]
    # Reproducibility settings reach the backend.
    assert facts["env"] == {"PYTHONHASHSEED": "0", "SOURCE_DATE_EPOCH": str(DEFAULT_EPOCH)}


def test_source_date_epoch_from_the_action_is_kept(tmp_path):
    config = {"wheels": ["fake-1.0-py3-none-any.whl"], "facts": True}
    sdist = fake_sdist(tmp_path / "sdist", config=config)
    env = {"SOURCE_DATE_EPOCH": "1700000000", "PYTHONHASHSEED": "123"}
    run = run_helper(sdist, tmp_path / "run", env=env)
    facts = json.loads(wheel_entries(run.wheel)["fake/facts.json"])
    assert facts["env"] == {"PYTHONHASHSEED": "123", "SOURCE_DATE_EPOCH": "1700000000"}
    assert_canonical_wheel(run.wheel, date_time=(2023, 11, 14, 22, 13, 20))


def test_backend_that_raises_shows_its_output(tmp_path, runner_wheels):
    config = {"say": "MARKER-BEFORE-FAILING", "fail": "MARKER-OF-THE-BACKEND-ERROR"}
    sdist = fake_sdist(tmp_path / "sdist", config=config)
    run = run_helper(sdist, tmp_path / "run", wheels=runner_wheels)
    assert run.returncode == 1
    assert "MARKER-BEFORE-FAILING" in run.stderr
    assert "RuntimeError: MARKER-OF-THE-BACKEND-ERROR" in run.stderr
    # The backend's output comes first, then the helper's message that points at it.
    assert run.stderr.index("MARKER-OF-THE-BACKEND-ERROR") < run.stderr.index("rules_pyuv:")
    assert run.error == "the build backend 'fakebackend' failed (exit 1); its output is above\n"
    assert run.message.startswith(
        f"rules_pyuv: building fake 1.0 for {HOST_OS}_{HOST_CPU} (CPython {PY}) from "
        "fake-1.0.tar.gz failed: "
    )
    assert not run.wheels


def test_in_tree_backend_needs_backend_path(tmp_path, runner_wheels):
    """Without backend-path the backend beside pyproject.toml is not importable (PEP 517),
    whichever runner calls it."""
    sdist = fake_sdist(tmp_path / "sdist", backend_path=False)
    run = run_helper(sdist, tmp_path / "run", wheels=runner_wheels)
    assert run.returncode == 1
    assert "No module named 'fakebackend'" in run.stderr
    if runner_wheels:
        assert "cannot import the build backend 'fakebackend'" in run.error
    else:
        assert "the build backend 'fakebackend' failed" in run.error


@pytest.mark.parametrize(
    "config, expected",
    [
        ({"wheels": []}, "the backend was to build one wheel but produced nothing"),
        (
            {"wheels": [], "other_files": ["build.log"]},
            "the backend was to build one wheel but produced ['build.log']",
        ),
        (
            {"wheels": ["fake-1.0-py3-none-any.whl", "fake-1.0-cp311-cp311-linux_x86_64.whl"]},
            "produced ['fake-1.0-cp311-cp311-linux_x86_64.whl', 'fake-1.0-py3-none-any.whl']",
        ),
        (
            {"wheels": ["other-1.0-py3-none-any.whl"]},
            "the sdist of fake built a wheel of another project: other-1.0-py3-none-any.whl",
        ),
        (
            {"wheels": ["fake-2.0-py3-none-any.whl"]},
            "the sdist of fake 1.0 built version 2.0 (fake-2.0-py3-none-any.whl); "
            "the lock and the sdist disagree",
        ),
        ({"wheels": ["fake.whl"]}, "the backend produced 'fake.whl', which is not a wheel"),
    ],
)
def test_backend_result_is_checked(tmp_path, config, expected):
    sdist = fake_sdist(tmp_path / "sdist", config=config)
    run = run_helper(sdist, tmp_path / "run")
    assert run.returncode == 1
    assert expected in run.error
    assert not run.wheels


def test_wheel_name_and_version_are_compared_normalised(tmp_path):
    config = {"wheels": ["fake_pkg-1.0.0-py3-none-any.whl"]}
    sdist = fake_sdist(tmp_path / "sdist", config=config, name="Fake.Pkg", version="1.0")
    run = run_helper(sdist, tmp_path / "run", name="Fake.Pkg", version="1.0", bare=False)
    assert run.wheel.name == "fake_pkg-1.0.0-py3-none-any.whl"


def test_wheel_for_another_architecture_fails_loudly(tmp_path):
    wheel = f"fake-1.0-{CP}-{CP}-linux_{HOST_CPU}.whl"
    sdist = fake_sdist(tmp_path / "sdist", config={"wheels": [wheel]})
    run = run_helper(sdist, tmp_path / "run", target_os="linux", target_cpu=OTHER_CPU)
    assert run.returncode == 1
    assert f"the built wheel {wheel} does not run on the target linux_{OTHER_CPU}" in run.error
    assert f"ran on a {platform.system().lower()} {platform.machine()} machine" in run.error
    assert not run.wheels


def test_pure_wheel_fits_any_target(tmp_path):
    sdist = fake_sdist(tmp_path / "sdist")
    run = run_helper(sdist, tmp_path / "run", target_os="windows", target_cpu=OTHER_CPU)
    assert run.wheel.name == "fake-1.0-py3-none-any.whl"


def test_interpreter_must_run_the_target_python(tmp_path):
    sdist = fake_sdist(tmp_path / "sdist")
    run = run_helper(sdist, tmp_path / "run", target_python=OTHER_PY, interpreter_python=OTHER_PY)
    assert run.returncode == 1
    assert run.error.startswith(
        f"the interpreter toolchain resolved for this platform runs Python {PY} "
        f"(declared {OTHER_PY}) but the target Python is {OTHER_PY}"
    )
    assert "python_version flag" in run.error
    assert "FAKE-BACKEND-SAYS-HELLO" not in run.stderr


def test_main_in_process_reports_and_returns_one(tmp_path, capsys):
    sdist = fake_sdist(tmp_path / "sdist")
    args = ["--sdist", str(sdist), "--name", "fake", "--version", "1.0"]
    args += ["--target-os", "linux", "--target-cpu", "x86_64", "--target-python", OTHER_PY]
    args += ["--interpreter-python", PY, "--out-dir", str(tmp_path / "out")]
    assert bh.main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"rules_pyuv: building fake 1.0 for linux_x86_64 (CPython {OTHER_PY})")
    assert f"runs Python {PY} (declared {PY})" in err
    assert not (tmp_path / "out").exists()


def test_main_in_process_builds_and_leaves_sys_path_alone(tmp_path, capfd, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    sdist = fake_sdist(tmp_path / "sdist")
    args = ["--sdist", str(sdist), "--name", "fake", "--version", "1.0"]
    args += ["--target-os", HOST_OS, "--target-cpu", HOST_CPU, "--target-python", PY]
    args += ["--interpreter-python", PY, "--out-dir", str(tmp_path / "out")]
    path = list(sys.path)
    assert bh.main(args) == 0, capfd.readouterr().err
    assert sys.path == path
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["fake-1.0-py3-none-any.whl"]
    assert list((tmp_path / "tmp").iterdir()) == []
    assert "FAKE-BACKEND-SAYS-HELLO" not in capfd.readouterr().err


def test_same_fake_sdist_gives_identical_wheels(tmp_path):
    """The backend writes entries in random order with the current time; the result is the
    same bytes wherever and whenever it runs."""
    sdist = fake_sdist(tmp_path / "sdist")
    first = run_helper(sdist, tmp_path / "one")
    second = run_helper(sdist, tmp_path / "elsewhere" / "two", tmpdir=tmp_path / "t2" / "deeper")
    assert first.wheel.read_bytes() == second.wheel.read_bytes()
    assert_canonical_wheel(first.wheel)
    with zipfile.ZipFile(first.wheel) as zf:
        modes = {i.filename: stat.S_IMODE(i.external_attr >> 16) for i in zf.infolist()}
    assert modes["fake/tool.sh"] == 0o755
    assert modes["fake/data/a.txt"] == modes["fake/data/b.txt"] == 0o644


# --- Build requirements ------------------------------------------------------------------


def test_missing_build_requirement_names_it_and_the_fix(tmp_path):
    sdist = fake_sdist(tmp_path / "sdist", requires=["cython>=3"])
    run = run_helper(sdist, tmp_path / "run")
    assert run.returncode == 1
    assert "the build requirements of fake are not all supplied: cython>=3." in run.error
    assert "uv add --group build cython`" in run.error
    assert "FAKE-BACKEND-SAYS-HELLO" not in run.stderr


def test_build_requirement_of_the_wrong_version_says_what_the_lock_supplies(tmp_path, seeds):
    cython = build_wheel(tmp_path / "wheels", "Cython", "0.29.36")
    sdist = fake_sdist(tmp_path / "sdist", requires=["cython>=3", "packaging"])
    run = run_helper(sdist, tmp_path / "run", wheels=[cython, seeds["packaging"]])
    assert run.returncode == 1
    assert "cython>=3 (the lock supplies cython 0.29.36)" in run.error
    assert "uv add --group build cython`" in run.error


def test_requirement_asked_for_by_the_backend_is_checked_too(tmp_path, runner_wheels):
    config = {"wheels": ["fake-1.0-py3-none-any.whl"], "extra_requires": ["cython>=3"]}
    sdist = fake_sdist(tmp_path / "sdist", config=config)
    run = run_helper(sdist, tmp_path / "run", wheels=runner_wheels)
    assert run.returncode == 1
    assert "not all supplied: cython>=3." in run.error
    assert not run.wheels


@pytest.mark.parametrize("with_packaging", [False, True], ids=["bare", "with-packaging"])
def test_requirements_excluded_by_markers_are_ignored(tmp_path, seeds, with_packaging):
    requires = [
        "never-supplied>=1; python_version < '3'",
        "nor-this; sys_platform == 'no-such-os' or platform_machine == 'no-such-cpu'",
    ]
    sdist = fake_sdist(tmp_path / "sdist", requires=requires)
    wheels = [seeds["packaging"]] if with_packaging else []
    run = run_helper(sdist, tmp_path / "run", wheels=wheels)
    assert run.wheel.name == "fake-1.0-py3-none-any.whl"


@pytest.mark.parametrize("with_packaging", [False, True], ids=["bare", "with-packaging"])
def test_requirements_selected_by_markers_are_required(tmp_path, seeds, with_packaging):
    requirement = f"needed>=1; python_version >= '{PY}' and os_name == '{os.name}'"
    sdist = fake_sdist(tmp_path / "sdist", requires=[requirement])
    wheels = [seeds["packaging"]] if with_packaging else []
    run = run_helper(sdist, tmp_path / "run", wheels=wheels)
    assert run.returncode == 1
    assert f"not all supplied: {requirement}." in run.error
    assert "uv add --group build needed`" in run.error


# --- Real builds with setuptools ---------------------------------------------------------


def _import_in_subprocess(wheel: Path, where: Path, code: str) -> str:
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(where)
    proc = subprocess.run(
        [sys.executable, "-S", "-c", code],
        env={**os.environ, "PYTHONPATH": str(where)},
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.strip()


@pytest.fixture(scope="module")
def purepkg_build(tmp_path_factory, seed_dir) -> Run:
    """purepkg built from its sdist with setuptools, the build requirement given as a folder."""
    tmp = tmp_path_factory.mktemp("purepkg")
    sdist = build_sdist(tmp / "sdist", "purepkg", "1.0.0")
    return run_helper(sdist, tmp / "run", name="purepkg", version="1.0.0", wheels=[seed_dir])


def test_pure_sdist_builds_with_setuptools(purepkg_build, tmp_path):
    assert purepkg_build.wheel.name == "purepkg-1.0.0-py3-none-any.whl"
    assert [p.name for p in purepkg_build.out_dir.iterdir()] == [purepkg_build.wheel.name]
    assert_canonical_wheel(purepkg_build.wheel)
    hello = _import_in_subprocess(
        purepkg_build.wheel, tmp_path / "site", "import purepkg; print(purepkg.hello())"
    )
    assert hello == "purepkg 1.0.0 sdist"


def test_build_output_folder_serves_as_a_requirement(purepkg_build, tmp_path):
    """An upstream sdist_build's output (a folder with one wheel) satisfies a requirement,
    and the backend can import it."""
    config = {"wheels": ["fake-1.0-py3-none-any.whl"], "facts": True, "imports": ["purepkg"]}
    sdist = fake_sdist(tmp_path / "sdist", config=config, requires=["purepkg>=1"])
    run = run_helper(sdist, tmp_path / "run", wheels=[purepkg_build.out_dir])
    facts = json.loads(wheel_entries(run.wheel)["fake/facts.json"])
    assert facts["purepkg"] == "purepkg 1.0.0 sdist"


def test_legacy_sdist_with_only_setup_py(tmp_path, seeds):
    top = "legacypkg-2.1"
    sdist = write_archive(
        tmp_path / "sdist" / f"{top}.tar.gz",
        [
            Member(
                f"{top}/PKG-INFO", data="Metadata-Version: 1.0\nName: legacypkg\nVersion: 2.1\n"
            ),
            Member(
                f"{top}/setup.py",
                data=textwrap.dedent(
                    """\
                    from setuptools import setup
                    from legacy_version import VERSION  # the legacy backend sees the tree

                    setup(name="legacypkg", version=VERSION, py_modules=["legacypkg"])
                    """
                ),
            ),
            Member(f"{top}/legacy_version.py", data='VERSION = "2.1"\n'),
            Member(f"{top}/legacypkg.py", data="def hello():\n    return 'legacy hello'\n"),
        ],
    )
    run = run_helper(
        sdist, tmp_path / "run", name="legacypkg", version="2.1", wheels=[seeds["setuptools"]]
    )
    assert run.returncode == 0, run.stderr
    assert run.wheel.name == "legacypkg-2.1-py3-none-any.whl"
    assert_canonical_wheel(run.wheel)
    hello = _import_in_subprocess(
        run.wheel, tmp_path / "site", "import legacypkg; print(legacypkg.hello())"
    )
    assert hello == "legacy hello"


def test_legacy_sdist_without_setuptools_names_it(tmp_path):
    top = "legacypkg-2.1"
    sdist = write_archive(tmp_path / f"{top}.zip", [Member(f"{top}/setup.py", data="")])
    run = run_helper(sdist, tmp_path / "run", name="legacypkg", version="2.1")
    assert run.returncode == 1
    assert "not all supplied: setuptools>=40.8.0." in run.error
    assert "uv add --group build setuptools`" in run.error


NATIVE_C = """\
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include "where.h"

static PyObject *add(PyObject *self, PyObject *args) {
    long long a, b;
    if (!PyArg_ParseTuple(args, "LL", &a, &b)) return NULL;
    return PyLong_FromLongLong(a + b);
}

static PyObject *source_file(PyObject *self, PyObject *unused) {
    return PyUnicode_FromString(where_h);
}

static PyMethodDef methods[] = {
    {"add", add, METH_VARARGS, "a + b in C"},
    {"source_file", source_file, METH_NOARGS, "__FILE__"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native", NULL, -1, methods};

PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
"""

# The header is found through an absolute include folder, so its __FILE__ is an absolute
# path into the build folder; -g records the build folder in the debug information too.
# Only the helper's -ffile-prefix-map keeps them out of the wheel.
NATIVE_HEADER = "static const char where_h[] = __FILE__;\n"

NATIVE_SETUP = """\
import os
from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "nativepkg._native",
            sources=["src/native.c"],
            include_dirs=[os.path.abspath("include")],
            extra_compile_args=["-g"],
        )
    ]
)
"""


def _c_build_missing() -> str | None:
    """Why C extensions cannot be built here, or None."""
    if HOST_OS != "linux" or not HOST_CPU:
        return "needs Linux on x86_64/aarch64"
    if not (shutil.which("cc") or shutil.which("gcc")):
        return "needs a C compiler (gcc)"
    if not Path(sysconfig.get_paths()["include"], "Python.h").exists():
        return "needs the Python headers (Python.h)"
    return None


@pytest.fixture(scope="session")  # before the module-scoped native_builds
def c_compiler():
    """Skips without a C toolchain on a developer's machine; fails in CI (CI=true)."""
    require(_c_build_missing())


needs_c_compiler = pytest.mark.usefixtures("c_compiler")


@pytest.fixture(scope="module")
def native_builds(tmp_path_factory, seed_dir):
    """The C-extension sdist built twice: from different working directories and TMPDIRs,
    the second TMPDIR being a symlink to a folder of another name and depth."""
    tmp = tmp_path_factory.mktemp("native")
    sdist = build_sdist(
        tmp / "sdist",
        "nativepkg",
        "1.0.0",
        c_extension=True,
        files={
            "setup.py": NATIVE_SETUP,
            "src/native.c": NATIVE_C,
            "include/where.h": NATIVE_HEADER,
            "nativepkg/__init__.py": "from ._native import add, source_file\n",
        },
    )
    real = tmp / "a-much-longer-real-temporary-root" / "nested"
    real.mkdir(parents=True)
    (tmp / "linked-tmp").symlink_to(real, target_is_directory=True)
    runs = [
        run_helper(sdist, tmp / "one", name="nativepkg", version="1.0.0", wheels=[seed_dir]),
        run_helper(
            sdist,
            tmp / "second-place",
            name="nativepkg",
            version="1.0.0",
            wheels=[seed_dir],
            tmpdir=tmp / "linked-tmp",
        ),
    ]
    roots = [tmp / "one", tmp / "second-place", real, tmp / "linked-tmp"]
    return runs, roots


@needs_c_compiler
def test_c_extension_builds_and_works(native_builds, tmp_path):
    (run, _), _ = native_builds
    assert run.wheel.name == f"nativepkg-1.0.0-{CP}-{CP}-linux_{platform.machine()}.whl"
    assert_canonical_wheel(run.wheel)
    out = _import_in_subprocess(
        run.wheel,
        tmp_path / "site",
        "import nativepkg; print(nativepkg.add(40, 2)); print(nativepkg.source_file())",
    )
    total, source = out.splitlines()
    assert total == "42"
    # The build folder was mapped to /build by -ffile-prefix-map.
    assert source == "/build/src/nativepkg-1.0.0/include/where.h"


@needs_c_compiler
def test_c_extension_wheel_is_byte_identical_across_places(native_builds):
    (one, two), _ = native_builds
    assert one.wheel.name == two.wheel.name
    assert (
        hashlib.sha256(one.wheel.read_bytes()).hexdigest()
        == hashlib.sha256(two.wheel.read_bytes()).hexdigest()
    )


@needs_c_compiler
def test_c_extension_wheel_holds_no_build_paths(native_builds):
    runs, roots = native_builds
    for run in runs:
        entries = wheel_entries(run.wheel)
        blobs = [run.wheel.read_bytes(), *entries.values()]
        needles = [b"pyuv-sdist-", os.fsencode(os.path.realpath(os.path.dirname(run.wheel)))]
        needles += [os.fsencode(str(r)) for r in roots]
        needles += [os.fsencode(os.path.realpath(r)) for r in roots]
        for blob in blobs:
            for needle in needles:
                assert needle not in blob, needle
        so = next(v for k, v in entries.items() if k.endswith(".so"))
        assert b"/build/src/nativepkg-1.0.0/include/where.h" in so


@needs_c_compiler
def test_c_extension_built_for_another_architecture_fails_loudly(tmp_path, seed_dir):
    sdist = build_sdist(tmp_path / "sdist", "nativepkg", "1.0.0", c_extension=True)
    run = run_helper(
        sdist,
        tmp_path / "run",
        name="nativepkg",
        version="1.0.0",
        wheels=[seed_dir],
        target_os="linux",
        target_cpu=OTHER_CPU,
    )
    assert run.returncode == 1
    wheel = f"nativepkg-1.0.0-{CP}-{CP}-linux_{platform.machine()}.whl"
    assert f"the built wheel {wheel} does not run on the target linux_{OTHER_CPU}" in run.error
    assert f"ran on a linux {platform.machine()} machine with Python" in run.error
    assert run.message.startswith(
        f"rules_pyuv: building nativepkg 1.0.0 for linux_{OTHER_CPU} (CPython {PY})"
    )
    assert not run.wheels


def test_config_settings_pairs_become_pep517_config_settings():
    # sdist_config_settings arrive as repeated --config-setting KEY=VALUE flags.
    got = bh.config_settings(["a=1", "b=x=y", "a=2", "c="])
    assert got == {"a": ["1", "2"], "b": "x=y", "c": ""}
    with pytest.raises(bh.BuildError, match="is not KEY=VALUE"):
        bh.config_settings(["novalue"])
