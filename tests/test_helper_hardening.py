"""Hostile wheels and sdists against the action helpers (issue 10's probes).

build_helper.py and whl_install.py read untrusted archives: every probe here must end in
a clear error naming the archive and the member (never a traceback), within bounded disk
and memory, and the size caps must be raisable as documented in docs/sdist-builds.md.
"""

from __future__ import annotations

import hashlib
import io
import json
import stat
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from packaging.version import Version

from tests.test_build_helper import HELPER, Member, bh, fake_project, run_helper, write_archive
from tests.test_whl_install import TOOL, craft_wheel, fails, pyuv_wheel, run

MB = 1 << 20


# --- whl_install: names, versions, collisions, RECORD ------------------------------------


def test_dist_info_folder_with_a_path_like_name_is_refused(tmp_path, capsys):
    # `..` as a project name would put headers at include/../ (outside their folder).
    wheel = craft_wheel(
        tmp_path / "w",
        [("..-1.0.data/headers/x.h", "int x;\n"), ("ok.py", "")],
        name="..",
    )
    err = fails(wheel, tmp_path, capsys)
    assert "..-1.0-py3-none-any.whl" in err and "not valid" in err
    assert "Traceback" not in err


def test_dist_info_name_is_validated_even_when_the_file_name_is_fine(tmp_path, capsys):
    wheel = craft_wheel(tmp_path / "w", [("ok.py", "")], name="evil")
    renamed = tmp_path / "w" / "evil-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(tmp_path / "x.whl", "w") as dst:
        for info in src.infolist():
            data = src.read(info).replace(b"evil-1.0.dist-info", b"e.v!l-1.0.dist-info")
            info.filename = info.filename.replace("evil-1.0.dist-info", "e v-1.0.dist-info")
            dst.writestr(info, data)
    (tmp_path / "x.whl").replace(renamed)
    err = fails(renamed, tmp_path, capsys)
    assert "'e v-1.0.dist-info' is not named <name>-<version>.dist-info" in err


def test_dist_info_version_must_match_the_file_name(tmp_path, capsys):
    wheel = craft_wheel(tmp_path / "w", [("evil/__init__.py", "")], version="2.0")
    lying = wheel.with_name("evil-1.0-py3-none-any.whl")
    wheel.rename(lying)
    err = fails(lying, tmp_path, capsys)
    assert "'evil-2.0.dist-info' is for version 2.0, but the file name says 1.0" in err


def test_metadata_version_must_match_the_file_name(tmp_path, capsys):
    wheel = craft_wheel(tmp_path / "w", [("evil/__init__.py", "")])
    patched = tmp_path / "p" / wheel.name
    patched.parent.mkdir()
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(patched, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("/METADATA"):
                data = data.replace(b"Version: 1.0", b"Version: 6.6.6")
            elif info.filename.endswith("/RECORD"):
                continue
            dst.writestr(info, data)
        # RECORD again, with METADATA's new hash, so only the version is wrong.
        rows = []
        for info in dst.infolist():
            data = dst.read(info)
            digest = pyuv_wheel.record_digest("sha256", hashlib.sha256(data).digest())
            rows.append(f"{info.filename},{digest},{len(data)}")
        dst.writestr(
            "evil-1.0.dist-info/RECORD", "\n".join(rows) + "\nevil-1.0.dist-info/RECORD,,\n"
        )
    err = fails(patched, tmp_path, capsys)
    assert "METADATA gives version '6.6.6', but the file name says 1.0" in err


def test_equal_versions_spelled_differently_are_accepted(tmp_path):
    wheel = craft_wheel(tmp_path / "w", [("evil/__init__.py", "")], version="1.0.0")
    renamed = wheel.with_name("evil-1.0-py3-none-any.whl")
    wheel.rename(renamed)
    assert run(renamed, tmp_path / "out")["version"] == "1.0.0"


def test_package_given_by_the_rule_must_be_the_wheels(tmp_path, capsys):
    wheel = craft_wheel(tmp_path / "w", [("evil/__init__.py", "")])
    err = fails(wheel, tmp_path, capsys, "--package", "good")
    assert err.startswith("rules_pyuv: installing the wheel of good failed:")
    assert "is not a wheel of good" in err


def test_member_colliding_with_installer_is_refused(tmp_path, capsys):
    wheel = craft_wheel(
        tmp_path / "w", [("evil-1.0.data/purelib/evil-1.0.dist-info/INSTALLER", "pip\n")]
    )
    err = fails(wheel, tmp_path, capsys)
    assert "'evil-1.0.data/purelib/evil-1.0.dist-info/INSTALLER' installs" in err
    assert "which the installer writes itself" in err


def test_write_collision_is_a_clear_error_not_file_exists(tmp_path):
    # The plan refuses collisions; should one slip through, the write itself says so.
    wheel = craft_wheel(tmp_path / "w", [("evil/__init__.py", "A = 1\n")])
    out = tmp_path / "out"
    (out / "site-packages" / "evil").mkdir(parents=True)
    (out / "site-packages" / "evil" / "__init__.py").write_text("there\n")
    with zipfile.ZipFile(wheel) as zf:
        info = zf.getinfo("evil/__init__.py")
        record = pyuv_wheel.read_record(wheel.name, zf, "evil-1.0.dist-info")
        with pytest.raises(pyuv_wheel.WheelError, match="would overwrite a file"):
            pyuv_wheel.write_member(
                wheel.name, zf, info, out, "site-packages/evil/__init__.py", "file", record
            )


@pytest.mark.parametrize("size", ["\u00b2", "\u0663", "1\u00b2", "+3", " 3"])
def test_record_size_must_be_ascii_digits(tmp_path, capsys, size):
    def rows(rs):
        return [[p, h, size if p == "evil/__init__.py" else s] for p, h, s in rs]

    wheel = craft_wheel(tmp_path / "w", [("evil/__init__.py", "")], record_rows=rows)
    assert "invalid size" in fails(wheel, tmp_path, capsys)


def test_shebang_of_a_streamed_script_is_rewritten(tmp_path):
    long_line = b"#!python" + b" -x" * (2 * MB) + b"\nprint('hi')\n"
    wheel = craft_wheel(
        tmp_path / "w",
        [
            ("evil-1.0.data/scripts/short", "#!python\nprint(1)\n"),
            ("evil-1.0.data/scripts/long", long_line),
        ],
    )
    manifest = run(wheel, tmp_path / "out")
    assert (tmp_path / "out/bin/short").read_bytes() == b"#!/usr/bin/env python3\nprint(1)\n"
    assert (tmp_path / "out/bin/long").read_bytes() == b"#!/usr/bin/env python3\nprint('hi')\n"
    assert set(manifest["files"]) >= {"bin/short", "bin/long"}


# --- Size caps: whl_install ---------------------------------------------------------------


def zip_bomb_wheel(directory: Path, size: int) -> Path:
    """A wheel holding one member of `size` zero bytes (it compresses about 1000:1)."""
    directory.mkdir(parents=True, exist_ok=True)
    return craft_wheel(
        directory, [("evil/zeros.bin", b"\0" * size)], compression=zipfile.ZIP_DEFLATED
    )


def test_wheel_inflating_a_thousandfold_is_refused(tmp_path, capsys):
    wheel = zip_bomb_wheel(tmp_path / "w", 210 * MB)
    assert wheel.stat().st_size < 0.25 * MB
    err = fails(wheel, tmp_path, capsys)
    assert "evil-1.0-py3-none-any.whl: unpacks to at least 2202" in err
    assert "over 200 times the archive's own" in err
    assert "RULES_PYUV_MAX_UNPACK_RATIO" in err
    assert not (tmp_path / "fail_out").exists()  # refused before anything was written


def test_size_caps_have_flags_and_environment_variables(tmp_path, capsys, monkeypatch):
    wheel = craft_wheel(tmp_path / "w", [("evil/data.bin", b"x" * (2 * MB))])
    err = fails(wheel, tmp_path, capsys, "--max-member-size", "1M")
    assert "member 'evil/data.bin' unpacks to 2097152 bytes, more than the limit of 1048576" in err
    assert "RULES_PYUV_MAX_MEMBER_SIZE" in err
    monkeypatch.setenv("RULES_PYUV_MAX_UNPACKED_SIZE", "1MiB")
    err = fails(wheel, tmp_path, capsys)
    assert "more than the limit of 1048576 bytes" in err and "RULES_PYUV_MAX_UNPACKED_SIZE" in err
    # The flag wins over the environment; a raised limit lets the wheel in.
    run(wheel, tmp_path / "out", "--max-unpacked-size", "3M")
    monkeypatch.setenv("RULES_PYUV_MAX_UNPACKED_SIZE", "lots")
    err = fails(wheel, tmp_path, capsys)
    assert "RULES_PYUV_MAX_UNPACKED_SIZE = 'lots' is not a size such as 512M or 4G" in err


def test_raised_ratio_admits_a_highly_compressible_wheel(tmp_path):
    wheel = zip_bomb_wheel(tmp_path / "w", 70 * MB)
    run(wheel, tmp_path / "out", "--max-unpack-ratio", "5000")
    assert (tmp_path / "out/site-packages/evil/zeros.bin").stat().st_size == 70 * MB


def test_both_helpers_take_their_limits_from_the_wheel_library():
    assert bh.UnpackLimits is pyuv_wheel.UnpackLimits
    assert bh.UNPACK_LIMITS is pyuv_wheel.UNPACK_LIMITS
    for path in (TOOL, HELPER):
        assert "class UnpackLimits" not in path.read_text(), path


@pytest.mark.parametrize(
    "text, value",
    [("123", 123), ("64M", 64 * MB), ("4G", 4 << 30), ("4GiB", 4 << 30), ("2kb", 2048)],
)
def test_sizes_parse(text, value):
    assert pyuv_wheel.parse_size(text) == value


@pytest.mark.parametrize("text", ["", "-1", "1.5G", "4X", "G"])
def test_bad_sizes_are_refused(text):
    assert pyuv_wheel.parse_size(text) is None


VERSIONS = [
    "1.0",
    "1.0.0",
    "1",
    "v1.0",
    "1.0a1",
    "1.0alpha1",
    "1.0.0-a1",
    "1.0rc1",
    "1.0c1",
    "1.0pre1",
    "1.0.post1",
    "1.0-1",
    "1.0post",
    "1.0.dev1",
    "1.0-dev",
    "1!1.0",
    "0!1.0",
    "1.0+local.1",
    "1.0+LOCAL-1",
    "1.0+local_01",
    "1.0a1.post2.dev3",
    "2.0.1rc1",
    "1.10",
    "1.1",
]


def test_version_comparison_agrees_with_packaging():
    for a in VERSIONS:
        for b in VERSIONS:
            expected = Version(a) == Version(b)
            assert (pyuv_wheel.version_key(a) == pyuv_wheel.version_key(b)) == expected, (a, b)


# --- build_helper: zips without type bits, links, markers, backend-path ------------------


def test_zip_members_without_file_type_bits_are_regular_files(tmp_path):
    # As unzip and pip read them: a mode of permissions only (or none, from Windows).
    members = fake_project()
    sdist = write_archive(tmp_path / "s" / "fake-1.0.zip", members)
    plain = tmp_path / "p" / "fake-1.0.zip"
    plain.parent.mkdir()
    with zipfile.ZipFile(sdist) as src, zipfile.ZipFile(plain, "w") as dst:
        for i, info in enumerate(src.infolist()):
            data = src.read(info)
            info.external_attr = 0o644 << 16 if i % 2 else 0
            info.create_system = 3 if i % 2 else 0
            dst.writestr(info, data)
    result = run_helper(plain, tmp_path / "run")
    assert result.returncode == 0, result.stderr
    assert result.wheel.name == "fake-1.0-py3-none-any.whl"


@pytest.mark.parametrize("marker", ["orand", "os_name == 'posix' orand True", "()", "and"])
def test_unreadable_markers_are_clear_errors(marker):
    with pytest.raises(bh.BuildError, match="cannot read the marker"):
        bh.evaluate_marker(marker)


def test_marker_parser_keeps_precedence():
    env = {"a": "1", "b": "2"}
    assert bh.evaluate_marker("a == '1' or a == '2' and b == '3'", env) is True
    assert bh.evaluate_marker("(a == '1' or a == '2') and b == '3'", env) is False
    assert bh.evaluate_marker("a == '9' or (b == '2' and (a == '1'))", env) is True


def test_bad_marker_in_a_requirement_fails_the_build_clearly(tmp_path, monkeypatch):
    members = fake_project(requires=["setuptools; os_name == 'posix' orand True"])
    sdist = write_archive(tmp_path / "s" / "fake-1.0.tar.gz", members)
    # No packaging in the requirement wheels: the helper's own marker reader runs.
    result = run_helper(sdist, tmp_path / "run")
    assert result.returncode == 1
    assert "cannot read the marker" in result.error and "Traceback" not in result.stderr


@pytest.mark.parametrize("entry", ["/etc", "../..", "_backend/../../..", "/"])
def test_backend_path_outside_the_source_tree_is_refused(tmp_path, entry):
    members = fake_project()
    members = [
        Member(m.name, data=m.data.replace('["_backend"]', json.dumps([entry])))
        if m.name.endswith("pyproject.toml")
        else m
        for m in members
    ]
    sdist = write_archive(tmp_path / "s" / "fake-1.0.tar.gz", members)
    result = run_helper(sdist, tmp_path / "run")
    assert result.returncode == 1
    assert f"backend-path entry {entry!r} lies outside the sdist's source tree" in result.error
    assert "FAKE-BACKEND-SAYS-HELLO" not in result.stderr  # refused before the backend ran


def test_backend_path_through_a_link_out_of_the_tree_is_refused(tmp_path):
    members = fake_project() + [Member("fake-1.0/_backend/up", kind="symlink", target="..")]
    members = [
        Member(m.name, data=m.data.replace('["_backend"]', '["_backend/up/.."]'))
        if m.name.endswith("pyproject.toml")
        else m
        for m in members
    ]
    sdist = write_archive(tmp_path / "s" / "fake-1.0.tar.gz", members)
    result = run_helper(sdist, tmp_path / "run")
    assert result.returncode == 1 and "lies outside the sdist's source tree" in result.error


@pytest.mark.parametrize(
    "config, expected",
    [
        (
            {"wheels": ["fake-1.0-py3-none-any.whl"], "metadata": "Name: other\nVersion: 1.0\n"},
            "its fake-1.0.dist-info/METADATA says other 1.0",
        ),
        (
            {"wheels": ["fake-1.0-py3-none-any.whl"], "metadata": "Name: fake\nVersion: 2.0\n"},
            "its fake-1.0.dist-info/METADATA says fake 2.0",
        ),
        (
            {"wheels": ["fake-1.0-py3-none-any.whl"], "dist_info": "fake-9.0"},
            "its folder fake-9.0.dist-info says fake 9.0",
        ),
    ],
)
def test_built_wheel_metadata_must_name_the_package_and_version(tmp_path, config, expected):
    sdist = write_archive(tmp_path / "s" / "fake-1.0.tar.gz", fake_project(config=config))
    result = run_helper(sdist, tmp_path / "run")
    assert result.returncode == 1
    assert expected in result.error and "the lock and the sdist disagree" in result.error
    assert not result.wheels


# --- Size caps: build_helper --------------------------------------------------------------


def tar_bomb(path: Path, size: int) -> Path:
    """A .tar.gz sdist whose one big member is `size` zero bytes, written by streaming."""

    class Zeros(io.RawIOBase):
        def __init__(self, n):
            self.left = n

        def readable(self):
            return True

        def readinto(self, b):
            n = min(len(b), self.left)
            b[:n] = bytes(n)
            self.left -= n
            return n

    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz", compresslevel=9) as tf:
        info = tarfile.TarInfo("bomb-1.0/zeros.bin")
        info.size = size
        tf.addfile(info, io.BufferedReader(Zeros(size)))
    return path


def _peak_memory_of(cmd: list[str]) -> tuple[subprocess.CompletedProcess, int]:
    """Runs cmd from a fresh interpreter; returns its result and its peak RSS in bytes."""
    probe = (
        "import json, resource, subprocess, sys\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024\n"
        "print(json.dumps([p.returncode, p.stderr, rss]))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, *cmd], capture_output=True, text=True)
    code, stderr, rss = json.loads(out.stdout)
    return subprocess.CompletedProcess(cmd, code, "", stderr), rss


def _helper_cmd(sdist: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-S", str(HELPER), "--sdist", str(sdist), "--name", "bomb",
        "--version", "1.0", "--target-os", "linux", "--target-cpu", "x86_64",
        "--target-python", "{}.{}".format(*sys.version_info[:2]),
        "--interpreter-python", "3", "--out-dir", str(out), *extra,
    ]  # fmt: skip


def test_sdist_bomb_is_refused_with_bounded_memory(tmp_path):
    sdist = tar_bomb(tmp_path / "bomb-1.0.tar.gz", 331 * MB)
    assert sdist.stat().st_size < 0.5 * MB
    result, rss = _peak_memory_of(_helper_cmd(sdist, tmp_path / "out"))
    assert result.returncode == 1, result.stderr
    assert "bomb-1.0.tar.gz: unpacks to at least" in result.stderr
    assert "RULES_PYUV_MAX_UNPACK_RATIO" in result.stderr and "Traceback" not in result.stderr
    assert rss < 80 * MB, rss  # the old helper read the member whole: over 331 MB


def test_sdist_with_a_big_member_streams_when_the_caps_allow_it(tmp_path):
    sdist = tar_bomb(tmp_path / "bomb-1.0.tar.gz", 150 * MB)
    cmd = _helper_cmd(sdist, tmp_path / "out", "--max-unpack-ratio", "100000")
    result, rss = _peak_memory_of(cmd)
    # Unpacked in full (the build then stops: the sdist has no build system it can use).
    assert result.returncode == 1 and "not all supplied" in result.stderr, result.stderr
    assert rss < 80 * MB, rss


def test_sdist_member_over_the_member_cap_is_refused(tmp_path):
    sdist = tar_bomb(tmp_path / "bomb-1.0.tar.gz", 3 * MB)
    result, _ = _peak_memory_of(_helper_cmd(sdist, tmp_path / "out", "--max-member-size", "2M"))
    assert result.returncode == 1
    assert "member 'bomb-1.0/zeros.bin' unpacks to 3145728 bytes" in result.stderr


def test_requirement_wheel_bomb_is_refused(tmp_path):
    wheel = zip_bomb_wheel(tmp_path / "w", 100 * MB)
    sdist = write_archive(tmp_path / "s" / "fake-1.0.tar.gz", fake_project())
    result = run_helper(sdist, tmp_path / "run", wheels=[wheel])
    assert result.returncode == 1
    assert "evil-1.0-py3-none-any.whl: unpacks to at least" in result.error


def test_symlink_member_modes_in_zip_sdists_still_make_links(tmp_path):
    members = fake_project() + [Member("fake-1.0/alias.py", kind="symlink", target="backend.json")]
    sdist = write_archive(tmp_path / "s" / "fake-1.0.zip", members)
    assert run_helper(sdist, tmp_path / "run").returncode == 0
    with zipfile.ZipFile(sdist) as zf:
        assert stat.S_ISLNK(zf.getinfo("fake-1.0/alias.py").external_attr >> 16)
