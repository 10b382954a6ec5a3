"""py/private/worker.py spoken to as Bazel does: length-delimited proto WorkRequests on stdin.

The worker runs uv/private/whl_install.py (PyWheelInstall's tool) in process: each request
installs a wheel from tests/support/pkgbuild.py, its output is captured into the response
(never onto the protocol stream), a failing request leaves the worker serving the next one,
and the working directory and environment are the same before every request. The one-shot
form (`worker.py TOOL.py @params`, what runs where workers are not used) gives the same tree.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.pkgbuild import build_wheel

REPO_ROOT = Path(__file__).resolve().parents[1]
WORKER = REPO_ROOT / "py" / "private" / "worker.py"
WHL_INSTALL = REPO_ROOT / "uv" / "private" / "whl_install.py"

_spec = importlib.util.spec_from_file_location("rules_pyuv_worker", WORKER)
worker = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(worker)


class Worker:
    """A worker process and the two ends of its protocol."""

    def __init__(self, tool: Path, cwd: Path):
        self.proc = subprocess.Popen(
            [sys.executable, "-S", str(WORKER), str(tool), "--persistent_worker"],
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )

    def request(self, arguments: list[str], request_id: int = 0) -> dict:
        worker.write_delimited(self.proc.stdin, worker.encode_work_request(arguments, request_id))
        data = worker.read_delimited(self.proc.stdout)
        assert data is not None, self.proc.stderr.read().decode()
        return worker.parse_work_response(data)

    def close(self) -> tuple[int, bytes, str]:
        self.proc.stdin.close()
        rest = self.proc.stdout.read()
        code = self.proc.wait(timeout=60)
        return code, rest, self.proc.stderr.read().decode()


@pytest.mark.parametrize("value", [0, 1, 127, 128, 300, 2**31 - 1, -1, -(2**31)])
def test_varints_round_trip_as_int32(value):
    data = worker.encode_work_response(value, "", 0)
    assert worker.parse_work_response(data)["exit_code"] == value


def test_request_fields_and_unknown_fields():
    data = worker.encode_work_request(["--a", "b é"], 7)
    # An `inputs` entry (field 2, a message) and a verbosity (field 5) are skipped.
    extra = b"\x12\x04\x0a\x02/x" + b"\x28\x0a"
    assert worker.parse_work_request(data + extra) == {
        "arguments": ["--a", "b é"],
        "request_id": 7,
        "cancel": False,
    }
    with pytest.raises(worker.ProtocolError):
        worker.parse_work_request(b"\x0a\x09abc")  # a string longer than the message


def _install_args(wheel: Path, out: Path, package: str) -> list[str]:
    return [
        "--wheel",
        str(wheel),
        "--out-dir",
        str(out / "site"),
        "--manifest",
        str(out / "site.json"),
        "--package",
        package,
    ]


def test_worker_installs_wheels_in_process_and_survives_failures(tmp_path):
    wheels = [build_wheel(tmp_path / "w", f"pkg{i}", f"1.{i}.0") for i in range(3)]
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import os, sys\n"
        "def main(argv):\n"
        "    print('cwd', os.getcwd())\n"
        "    print('env', os.environ.get('WORKER_PROBE'))\n"
        "    os.environ['WORKER_PROBE'] = 'leaked'\n"
        "    os.chdir('/')\n"
        "    os.system('echo from a child on fd 1')\n"
        "    return int(argv[0])\n"
    )
    w = Worker(WHL_INSTALL, tmp_path)
    try:
        for i, wheel in enumerate(wheels):
            out = tmp_path / f"out{i}"
            response = w.request(_install_args(wheel, out, f"pkg{i}"), request_id=0)
            assert response == {"exit_code": 0, "output": "", "request_id": 0}
            manifest = json.loads((out / "site.json").read_text())
            assert manifest["name"] == f"pkg{i}" and manifest["version"] == f"1.{i}.0"
            assert (out / "site" / "site-packages" / f"pkg{i}" / "__init__.py").is_file()
        # A wheel of another package: the tool's error is the response's output.
        bad = w.request(_install_args(wheels[0], tmp_path / "bad", "pkg1"))
        assert bad["exit_code"] == 1
        assert "installing the wheel of pkg1 failed" in bad["output"]
        assert "is not a wheel of pkg1" in bad["output"]
        # argparse's usage error: exit status 2, its message in the output.
        usage = w.request(["--no-such-flag"])
        assert usage["exit_code"] == 2 and "--wheel" in usage["output"]
        # Still serving after both.
        again = w.request(_install_args(wheels[1], tmp_path / "again", "pkg1"), request_id=5)
        assert again == {"exit_code": 0, "output": "", "request_id": 5}
    finally:
        code, rest, stderr = w.close()
    assert code == 0 and rest == b"", stderr

    # State does not leak between requests: cwd and environment are restored, and what a
    # child process writes to file descriptor 1 stays off the protocol stream.
    w = Worker(probe, tmp_path)
    try:
        first = w.request(["0"])
        second = w.request(["3"], request_id=2)
    finally:
        code, rest, stderr = w.close()
    assert first["exit_code"] == 0 and second["exit_code"] == 3
    for response in (first, second):
        assert f"cwd {tmp_path}" in response["output"]
        assert "env None" in response["output"]
    assert code == 0 and rest == b""
    assert "from a child on fd 1" in stderr


def test_one_shot_reads_the_params_file(tmp_path):
    wheel = build_wheel(tmp_path / "w", "pkg", "2.0.0")
    params = tmp_path / "install.params"
    params.write_text("\n".join(_install_args(wheel, tmp_path / "once", "pkg")) + "\n")
    proc = subprocess.run(
        [sys.executable, "-S", str(WORKER), str(WHL_INSTALL), f"@{params}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "once" / "site.json").read_text())["version"] == "2.0.0"
    params.write_text("\n".join(_install_args(wheel, tmp_path / "twice", "other")) + "\n")
    proc = subprocess.run(
        [sys.executable, "-S", str(WORKER), str(WHL_INSTALL), f"@{params}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1 and "is not a wheel of other" in proc.stderr
