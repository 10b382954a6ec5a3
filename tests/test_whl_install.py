"""Unit tests of ``uv/private/whl_install.py``: installing one wheel into a tree.

Wheels come from ``tests/support/pkgbuild.py`` or, for broken and hostile ones, are crafted
here with zipfile. The tool runs in-process (``main`` with an argv) except for one
subprocess test of the command line.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.pkgbuild import ZIP_DATE_TIME, build_wheel

REPO_ROOT = Path(__file__).resolve().parents[1]
TOOL = REPO_ROOT / "uv" / "private" / "whl_install.py"


def _load(path: Path, name: str):
    # The tool imports the wheel library beside it, as sys.path[0] gives it in actions.
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


whl_install = _load(TOOL, "rules_pyuv_whl_install")
import pyuv_wheel  # noqa: E402, F401 (beside the tool, on sys.path by _load; re-exported)


def _digest(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def craft_wheel(
    out_dir: Path,
    members: list,
    *,
    name: str = "evil",
    version: str = "1.0",
    tag: str = "py3-none-any",
    record: str | None = "auto",
    record_rows=None,
    compression: int = zipfile.ZIP_STORED,
) -> Path:
    """A wheel with the given members: (name, data) or (name, data, st_mode).

    METADATA and WHEEL are added; RECORD lists every member (``record_rows`` may edit the
    rows, given as a list of [path, hash, size]); ``record=None`` leaves RECORD out and a
    string replaces it verbatim.
    """
    dist_info = f"{name}-{version}.dist-info"
    members = list(members) + [
        (f"{dist_info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"),
        (f"{dist_info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
    ]
    entries = []
    for m in members:
        data = m[1].encode() if isinstance(m[1], str) else m[1]
        entries.append((m[0], data, m[2] if len(m) > 2 else 0o100644))
    if record == "auto":
        rows = [[n, _digest(d), str(len(d))] for n, d, _ in entries]
        if record_rows:
            rows = record_rows(rows)
        text = "".join(",".join(r) + "\n" for r in rows) + f"{dist_info}/RECORD,,\n"
        entries.append((f"{dist_info}/RECORD", text.encode(), 0o100644))
    elif record is not None:
        entries.append((f"{dist_info}/RECORD", record.encode(), 0o100644))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}-{version}-{tag}.whl"
    with zipfile.ZipFile(path, "w", compression) as zf:
        for arcname, data, mode in entries:
            info = zipfile.ZipInfo(arcname, date_time=ZIP_DATE_TIME)
            info.external_attr = mode << 16
            info.create_system = 3
            info.compress_type = compression
            zf.writestr(info, data)
    return path


def run(wheel: Path, out: Path, *extra: str) -> dict:
    manifest = out.parent / (out.name + ".json")
    rc = whl_install.main(
        ["--wheel", str(wheel), "--out-dir", str(out), "--manifest", str(manifest), *extra]
    )
    assert rc == 0
    return json.loads(manifest.read_text())


def fails(wheel: Path, tmp_path: Path, capsys, *extra: str) -> str:
    out = tmp_path / "fail_out"
    manifest = tmp_path / "fail.json"
    rc = whl_install.main(
        ["--wheel", str(wheel), "--out-dir", str(out), "--manifest", str(manifest), *extra]
    )
    assert rc == 1
    assert not manifest.exists()
    err = capsys.readouterr().err
    assert err.startswith("rules_pyuv: ")
    return err


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under root: relative path -> (content, permission bits)."""
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), stat.S_IMODE(p.stat().st_mode))
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# --- Regular installs ----------------------------------------------------------------------


def test_pure_wheel_installs_with_manifest(tmp_path):
    wheel = build_wheel(tmp_path / "w", "Pure.Pkg", "1.2.0")
    manifest = run(wheel, tmp_path / "out")
    files = tree(tmp_path / "out")
    init = files["site-packages/pure_pkg/__init__.py"]
    assert b"def hello()" in init[0] and init[1] == 0o644
    dist_info = "site-packages/pure_pkg-1.2.0.dist-info"
    assert files[f"{dist_info}/INSTALLER"] == (b"rules_pyuv\n", 0o644)
    with zipfile.ZipFile(wheel) as zf:  # RECORD is kept as the wheel has it
        assert files[f"{dist_info}/RECORD"][0] == zf.read("pure_pkg-1.2.0.dist-info/RECORD")
    assert set(files) == {
        "site-packages/pure_pkg/__init__.py",
        f"{dist_info}/INSTALLER",
        f"{dist_info}/METADATA",
        f"{dist_info}/RECORD",
        f"{dist_info}/WHEEL",
    }
    assert manifest == {
        "name": "pure-pkg",
        "version": "1.2.0",
        "wheel": wheel.name,
        "tags": ["py3-none-any"],
        "files": {path: _digest(data) for path, (data, _) in files.items()},
        "console_scripts": {},
        "gui_scripts": {},
    }
    for d in (p for p in (tmp_path / "out").rglob("*") if p.is_dir()):
        assert stat.S_IMODE(d.stat().st_mode) == 0o755
    assert not list((tmp_path / "out").rglob("*.pyc"))


def test_manifest_is_sorted_json_with_entry_points(tmp_path):
    wheel = build_wheel(
        tmp_path / "w",
        "tooly",
        "0.1",
        tag="py2.py3-none-any",
        entry_points={
            "console_scripts": {"MyTool": "tooly:main", "tooly-x": "tooly.cli : run.go [fast]"},
            "gui_scripts": {"tooly-gui": "tooly:main"},
            "other.group": {"ignored": "tooly:main"},
        },
    )
    out = tmp_path / "out"
    run(wheel, out)
    text = (tmp_path / "out.json").read_text()
    manifest = json.loads(text)
    assert text == json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    assert manifest["tags"] == ["py2-none-any", "py3-none-any"]
    assert manifest["console_scripts"] == {"MyTool": "tooly:main", "tooly-x": "tooly.cli:run.go"}
    assert manifest["gui_scripts"] == {"tooly-gui": "tooly:main"}
    assert "site-packages/tooly-0.1.dist-info/entry_points.txt" in manifest["files"]
    assert not (out / "bin").exists()  # entry point scripts are venv_tool's job


@pytest.mark.parametrize(
    "entry",
    ["bad = not a reference", "../escape = tooly:main", "x = tooly:", "y = class:main"],
)
def test_invalid_console_script_is_refused(tmp_path, capsys, entry):
    wheel = build_wheel(
        tmp_path / "w", "tooly", "0.1", entry_points=f"[console_scripts]\n{entry}\n"
    )
    err = fails(wheel, tmp_path, capsys)
    assert "tooly-0.1-py3-none-any.whl" in err and "console_scripts" in err


def test_data_schemes(tmp_path):
    data = "mixed-2.0.data"
    wheel = build_wheel(
        tmp_path / "w",
        "mixed",
        "2.0",
        tag="cp311-cp311-linux_x86_64",
        files={
            "mixed/__init__.py": "ROOT = True\n",
            f"{data}/purelib/mixed_pure.py": "PURE = True\n",
            f"{data}/platlib/mixed/_native.py": "NATIVE = True\n",
            f"{data}/scripts/mixed-run": "#!python\nimport mixed\nprint('run')\n",
            f"{data}/scripts/mixed-gui": "#!pythonw -u\r\nprint('gui')\r\n",
            f"{data}/scripts/mixed.sh": "#!/bin/sh\necho hi\n",
            f"{data}/headers/mixed.h": "#define MIXED 1\n",
            f"{data}/data/share/mixed/readme.txt": "data file\n",
        },
    )
    manifest = run(wheel, tmp_path / "out")
    files = tree(tmp_path / "out")
    assert files["site-packages/mixed/__init__.py"] == (b"ROOT = True\n", 0o644)
    assert files["site-packages/mixed_pure.py"][0] == b"PURE = True\n"
    assert files["site-packages/mixed/_native.py"][0] == b"NATIVE = True\n"
    assert files["bin/mixed-run"] == (
        b"#!/usr/bin/env python3\nimport mixed\nprint('run')\n",
        0o755,
    )
    assert files["bin/mixed-gui"] == (b"#!/usr/bin/env python3\nprint('gui')\r\n", 0o755)
    assert files["bin/mixed.sh"] == (b"#!/bin/sh\necho hi\n", 0o755)
    assert files["include/mixed/mixed.h"][0] == b"#define MIXED 1\n"
    assert files["data/share/mixed/readme.txt"][0] == b"data file\n"
    assert not any(p.startswith("site-packages/mixed-2.0.data") for p in files)
    # The manifest has the digest of the installed (rewritten) script.
    assert manifest["files"]["bin/mixed-run"] == _digest(files["bin/mixed-run"][0])
    assert set(manifest["files"]) == set(files)


def test_executable_bit_comes_from_the_zip(tmp_path):
    wheel = craft_wheel(
        tmp_path / "w",
        [("evil/__init__.py", ""), ("evil/tool.sh", "#!/bin/sh\n", 0o100775)],
    )
    run(wheel, tmp_path / "out")
    files = tree(tmp_path / "out")
    assert files["site-packages/evil/tool.sh"][1] == 0o755
    assert files["site-packages/evil/__init__.py"][1] == 0o644


def test_wheel_in_a_directory(tmp_path):
    wheel = build_wheel(tmp_path / "built", "frombuild", "3.0")
    manifest = run(tmp_path / "built", tmp_path / "out")
    assert manifest["wheel"] == wheel.name
    assert (tmp_path / "out/site-packages/frombuild/__init__.py").is_file()


def test_directory_with_two_wheels_is_refused(tmp_path, capsys):
    build_wheel(tmp_path / "built", "one", "1.0")
    build_wheel(tmp_path / "built", "two", "1.0")
    err = fails(tmp_path / "built", tmp_path, capsys)
    assert "exactly one .whl" in err and "one-1.0-py3-none-any.whl" in err
    assert "two-1.0-py3-none-any.whl" in err


def test_directory_without_wheel_is_refused(tmp_path, capsys):
    (tmp_path / "built").mkdir()
    assert "found nothing" in fails(tmp_path / "built", tmp_path, capsys)


def test_install_is_deterministic(tmp_path):
    data = "det-1.0.data"
    wheel = build_wheel(
        tmp_path / "w",
        "det",
        "1.0",
        files={
            "det/__init__.py": "",
            "det/sub/b.py": "B = 1\n",
            "det/sub/a.py": "A = 1\n",
            f"{data}/scripts/det": "#!python\n",
        },
        entry_points={"console_scripts": {"det": "det:main"}},
    )
    first = run(wheel, tmp_path / "one")
    second = run(wheel, tmp_path / "two")
    assert tree(tmp_path / "one") == tree(tmp_path / "two")
    assert (tmp_path / "one.json").read_bytes() == (tmp_path / "two.json").read_bytes()
    assert first == second


def test_out_dir_must_be_empty(tmp_path, capsys):
    wheel = build_wheel(tmp_path / "w", "pkg", "1.0")
    out = tmp_path / "fail_out"
    out.mkdir()
    (out / "stale").write_text("x")
    assert "must be an empty folder" in fails(wheel, tmp_path, capsys)


def test_python_version_check(tmp_path, capsys):
    cp312 = build_wheel(tmp_path / "a", "native", "1.0", tag="cp312-cp312-linux_x86_64")
    err = fails(cp312, tmp_path, capsys, "--python-version", "3.11")
    assert "native-1.0-cp312-cp312-linux_x86_64.whl" in err and "3.11" in err
    abi3 = build_wheel(tmp_path / "b", "native", "1.0", tag="cp38-abi3-linux_x86_64")
    run(abi3, tmp_path / "abi3", "--python-version", "3.11")
    pure = build_wheel(tmp_path / "c", "native", "1.0", tag="py2.py3-none-any")
    run(pure, tmp_path / "pure", "--python-version", "3.11")


def test_command_line(tmp_path):
    wheel = build_wheel(tmp_path / "w", "clipkg", "1.0")
    out, manifest = tmp_path / "out", tmp_path / "m.json"
    ok = subprocess.run(
        [sys.executable, str(TOOL), "--wheel", str(wheel), "--out-dir", str(out)]
        + ["--manifest", str(manifest)],
        capture_output=True,
        text=True,
    )
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "", "")
    assert json.loads(manifest.read_text())["name"] == "clipkg"
    bad = subprocess.run(
        [sys.executable, str(TOOL), "--wheel", str(tmp_path / "nope.whl")]
        + ["--out-dir", str(tmp_path / "o2"), "--manifest", str(tmp_path / "m2.json")],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1 and "no such wheel file" in bad.stderr


# --- Broken and hostile wheels -------------------------------------------------------------


@pytest.mark.parametrize(
    "member, expected",
    [
        ("../escape.py", "'..'"),
        ("evil/../../escape.py", "'..'"),
        ("/etc/escape.py", "absolute path"),
        ("C:/escape.py", "absolute path"),
        ("evil\\..\\..\\escape.py", "backslash"),
        ("evil//double.py", "empty or '.'"),
    ],
)
def test_unsafe_paths_are_refused(tmp_path, capsys, member, expected):
    wheel = craft_wheel(tmp_path / "w", [("evil/__init__.py", ""), (member, "X = 1\n")])
    err = fails(wheel, tmp_path, capsys)
    assert "evil-1.0-py3-none-any.whl" in err and repr(member) in err and expected in err
    assert not (tmp_path / "escape.py").exists()
    assert not list(tmp_path.rglob("escape.py"))


def test_symlink_member_is_refused(tmp_path, capsys):
    wheel = craft_wheel(
        tmp_path / "w",
        [("evil/__init__.py", ""), ("evil/link", "/etc/passwd", stat.S_IFLNK | 0o777)],
    )
    err = fails(wheel, tmp_path, capsys)
    assert "'evil/link' is a symbolic link" in err and "evil-1.0-py3-none-any.whl" in err
    assert not (tmp_path / "fail_out").exists()


def test_device_member_is_refused(tmp_path, capsys):
    wheel = craft_wheel(tmp_path / "w", [("evil/fifo", "", stat.S_IFIFO | 0o644)])
    assert "'evil/fifo' is not a regular file" in fails(wheel, tmp_path, capsys)


def test_duplicate_member_is_refused(tmp_path, capsys):
    wheel = craft_wheel(tmp_path / "w", [("evil/__init__.py", "A = 1\n")])
    with zipfile.ZipFile(wheel, "a") as zf, pytest.warns(UserWarning):
        zf.writestr("evil/__init__.py", "A = 2\n")
    err = fails(wheel, tmp_path, capsys)
    assert "'evil/__init__.py' appears twice" in err


def test_two_members_installing_one_path_are_refused(tmp_path, capsys):
    wheel = craft_wheel(
        tmp_path / "w",
        [("evil/__init__.py", "A = 1\n"), ("evil-1.0.data/purelib/evil/__init__.py", "A = 2\n")],
    )
    err = fails(wheel, tmp_path, capsys)
    assert "both install 'site-packages/evil/__init__.py'" in err


def test_file_and_folder_at_one_path_are_refused(tmp_path, capsys):
    wheel = craft_wheel(
        tmp_path / "w",
        [("evil", "a file\n"), ("evil-1.0.data/platlib/evil/__init__.py", "")],
    )
    err = fails(wheel, tmp_path, capsys)
    assert "installs the file 'site-packages/evil'" in err and "needs a folder" in err


def test_unknown_data_scheme_is_refused(tmp_path, capsys):
    wheel = craft_wheel(tmp_path / "w", [("evil-1.0.data/elsewhere/x.py", "")])
    assert "not in a known .data scheme" in fails(wheel, tmp_path, capsys)


def _edit(path: str, column: int, value: str):
    def edit(rows):
        for row in rows:
            if row[0] == path:
                row[column] = value
        return rows

    return edit


def test_hash_mismatch_is_refused(tmp_path, capsys):
    wheel = craft_wheel(
        tmp_path / "w",
        [("evil/__init__.py", "A = 1\n")],
        record_rows=_edit("evil/__init__.py", 1, _digest(b"B = 2\n")),
    )
    err = fails(wheel, tmp_path, capsys)
    assert "evil-1.0-py3-none-any.whl" in err
    assert "'evil/__init__.py' does not match RECORD" in err


def test_size_mismatch_is_refused(tmp_path, capsys):
    wheel = craft_wheel(
        tmp_path / "w",
        [("evil/__init__.py", "A = 1\n")],
        record_rows=_edit("evil/__init__.py", 2, "999"),
    )
    err = fails(wheel, tmp_path, capsys)
    assert "'evil/__init__.py' is 6 bytes but RECORD says 999" in err


def test_weak_hash_is_refused(tmp_path, capsys):
    md5 = "md5=" + base64.urlsafe_b64encode(hashlib.md5(b"").digest()).rstrip(b"=").decode()
    wheel = craft_wheel(
        tmp_path / "w", [("evil/__init__.py", "")], record_rows=_edit("evil/__init__.py", 1, md5)
    )
    assert "'md5'; sha256 or stronger is required" in fails(wheel, tmp_path, capsys)


def test_member_missing_from_record_is_refused(tmp_path, capsys):
    wheel = craft_wheel(
        tmp_path / "w",
        [("evil/__init__.py", ""), ("evil/smuggled.py", "import os\n")],
        record_rows=lambda rows: [r for r in rows if r[0] != "evil/smuggled.py"],
    )
    err = fails(wheel, tmp_path, capsys)
    assert "member 'evil/smuggled.py' is not listed in RECORD" in err
    assert "evil-1.0-py3-none-any.whl" in err


def test_record_listing_a_missing_file_is_refused(tmp_path, capsys):
    wheel = craft_wheel(
        tmp_path / "w",
        [("evil/__init__.py", "")],
        record_rows=lambda rows: rows + [["evil/gone.py", _digest(b"x"), "1"]],
    )
    assert "RECORD lists 'evil/gone.py', which the wheel does not contain" in fails(
        wheel, tmp_path, capsys
    )


def test_missing_record_is_refused(tmp_path, capsys):
    wheel = craft_wheel(tmp_path / "w", [("evil/__init__.py", "")], record=None)
    err = fails(wheel, tmp_path, capsys)
    assert "evil-1.0-py3-none-any.whl: has no evil-1.0.dist-info/RECORD" in err


def test_signature_files_need_no_hash(tmp_path):
    wheel = craft_wheel(
        tmp_path / "w",
        [("evil/__init__.py", ""), ("evil-1.0.dist-info/RECORD.jws", "{}")],
        record_rows=lambda rows: [r for r in rows if not r[0].endswith("RECORD.jws")],
    )
    manifest = run(wheel, tmp_path / "out")
    assert "site-packages/evil-1.0.dist-info/RECORD.jws" in manifest["files"]


def test_two_dist_info_folders_are_refused(tmp_path, capsys):
    wheel = craft_wheel(tmp_path / "w", [("other-1.0.dist-info/METADATA", "Name: other\n")])
    assert "exactly one top-level .dist-info folder" in fails(wheel, tmp_path, capsys)


def test_not_a_zip_is_refused(tmp_path, capsys):
    wheel = tmp_path / "junk-1.0-py3-none-any.whl"
    wheel.write_bytes(b"not a zip")
    assert "junk-1.0-py3-none-any.whl: not a readable zip archive" in fails(wheel, tmp_path, capsys)
