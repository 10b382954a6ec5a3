"""Runs an action tool as a Bazel persistent worker, or once (the same command line either way).

    python -S worker.py TOOL.py @PARAMS            one run: PARAMS holds the arguments, a line each
    python -S worker.py TOOL.py --persistent_worker   Bazel's worker: requests on stdin

TOOL.py is a stdlib-only tool with a `main(argv) -> int` (e.g. uv/private/whl_install.py); its
folder goes first on sys.path so the modules beside it import. As a worker the tool is
imported once and each WorkRequest calls main(arguments) in this process, which saves the
interpreter's start and the imports per action. Bazel speaks its proto protocol by default
in 4.2 and 7-9: messages are length-delimited (a varint, then the bytes); the few fields
used are encoded by hand below, so nothing outside the standard library is needed.

Each request starts from the same state: the working directory, the environment, the umask
and sys.path are restored afterwards, and what the tool prints (stdout and stderr) goes
into the response's output rather than onto the protocol stream. The tools keep no state
between calls at module level (a contract of the tools run this way).

Runs on Python 3.8+ (the minimum of every action tool).
"""

from __future__ import annotations

import importlib.util
import io
import os
import sys
import traceback
from contextlib import redirect_stderr, redirect_stdout

# --- Protocol buffers, the subset Bazel's worker messages need -----------------------------

_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5


class ProtocolError(Exception):
    """A malformed message on the worker's stdin."""


def encode_varint(value: int) -> bytes:
    if value < 0:  # int32 negatives are sign-extended to 64 bits on the wire
        value += 1 << 64
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def decode_varint(data: bytes, pos: int) -> tuple[int, int]:
    """(value, position after it)."""
    value = shift = 0
    while True:
        if pos >= len(data):
            raise ProtocolError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise ProtocolError("varint longer than 10 bytes")


def _int32(value: int) -> int:
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >= 1 << 63 else value


def parse_fields(data: bytes):
    """Yields (field number, wire type, value) for each field of one message."""
    pos = 0
    while pos < len(data):
        key, pos = decode_varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == _VARINT:
            value, pos = decode_varint(data, pos)
        elif wire == _LEN:
            size, pos = decode_varint(data, pos)
            if pos + size > len(data):
                raise ProtocolError(f"field {number} runs past the message's end")
            value, pos = data[pos : pos + size], pos + size
        elif wire in (_I64, _I32):
            width = 8 if wire == _I64 else 4
            if pos + width > len(data):
                raise ProtocolError(f"field {number} runs past the message's end")
            value, pos = data[pos : pos + width], pos + width
        else:
            raise ProtocolError(f"field {number} has the unsupported wire type {wire}")
        yield number, wire, value


def parse_work_request(data: bytes) -> dict:
    """WorkRequest: arguments = 1 (repeated string), request_id = 3, cancel = 4.

    inputs (2), verbosity (5) and sandbox_dir (6) are not needed and skipped.
    """
    request = {"arguments": [], "request_id": 0, "cancel": False}
    for number, wire, value in parse_fields(data):
        if number == 1 and wire == _LEN:
            request["arguments"].append(value.decode("utf-8"))
        elif number == 3 and wire == _VARINT:
            request["request_id"] = _int32(value)
        elif number == 4 and wire == _VARINT:
            request["cancel"] = bool(value)
    return request


def encode_work_response(exit_code: int, output: str, request_id: int) -> bytes:
    """WorkResponse: exit_code = 1, output = 2, request_id = 3 (defaults left out)."""
    out = bytearray()
    if exit_code:
        out += encode_varint(1 << 3 | _VARINT) + encode_varint(exit_code)
    if output:
        text = output.encode("utf-8", "replace")
        out += encode_varint(2 << 3 | _LEN) + encode_varint(len(text)) + text
    if request_id:
        out += encode_varint(3 << 3 | _VARINT) + encode_varint(request_id)
    return bytes(out)


def encode_work_request(arguments: list[str], request_id: int = 0) -> bytes:
    """The request Bazel would send (for tests and benchmarks)."""
    out = bytearray()
    for arg in arguments:
        text = arg.encode("utf-8")
        out += encode_varint(1 << 3 | _LEN) + encode_varint(len(text)) + text
    if request_id:
        out += encode_varint(3 << 3 | _VARINT) + encode_varint(request_id)
    return bytes(out)


def parse_work_response(data: bytes) -> dict:
    response = {"exit_code": 0, "output": "", "request_id": 0}
    for number, wire, value in parse_fields(data):
        if number == 1 and wire == _VARINT:
            response["exit_code"] = _int32(value)
        elif number == 2 and wire == _LEN:
            response["output"] = value.decode("utf-8")
        elif number == 3 and wire == _VARINT:
            response["request_id"] = _int32(value)
    return response


def read_delimited(stream) -> bytes | None:
    """One length-prefixed message from a binary stream; None at a clean end of input."""
    size = shift = 0
    while True:
        byte = stream.read(1)
        if not byte:
            if shift:
                raise ProtocolError("input ended inside a message's length")
            return None
        size |= (byte[0] & 0x7F) << shift
        if not byte[0] & 0x80:
            break
        shift += 7
        if shift > 63:
            raise ProtocolError("message length longer than 10 bytes")
    data = stream.read(size)
    if len(data) != size:
        raise ProtocolError(f"input ended inside a message ({len(data)} of {size} bytes)")
    return data


def write_delimited(stream, message: bytes) -> None:
    stream.write(encode_varint(len(message)) + message)
    stream.flush()


# --- Running the tool -----------------------------------------------------------------------


def load_tool(path: str):
    """Imports the tool's script as a module (not as __main__), its folder first on sys.path."""
    folder = os.path.dirname(os.path.abspath(path))
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location("_pyuv_worker_tool", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"rules_pyuv worker: cannot load the tool {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not callable(getattr(module, "main", None)):
        raise SystemExit(f"rules_pyuv worker: {path} has no main(argv)")
    return module


def expand_flagfiles(args: list[str]) -> list[str]:
    """@FILE (Bazel's params file, one argument a line) is replaced by its lines."""
    out = []
    for arg in args:
        if arg.startswith("@") and not arg.startswith("@@"):
            with open(arg[1:], encoding="utf-8") as f:
                out += f.read().splitlines()
        else:
            out.append(arg)
    return out


def run_request(tool, arguments: list[str]) -> tuple[int, str]:
    """Calls tool.main(arguments) with its output captured; the process state is restored."""
    cwd, environ, path = os.getcwd(), dict(os.environ), list(sys.path)
    umask = os.umask(0o022)
    os.umask(umask)
    captured = io.StringIO()
    try:
        with redirect_stdout(captured), redirect_stderr(captured):
            try:
                # Bazel has already replaced the params file by its lines.
                code = tool.main(list(arguments))
            except SystemExit as e:  # argparse's usage errors, sys.exit in the tool
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
                if e.code is not None and not isinstance(e.code, int):
                    print(e.code, file=sys.stderr)
            except Exception:  # a bug in the tool fails this action, not the worker
                traceback.print_exc()
                code = 1
    finally:
        os.chdir(cwd)
        if os.environ != environ:
            os.environ.clear()
            os.environ.update(environ)
        sys.path[:] = path
        os.umask(umask)
    return int(code or 0), captured.getvalue()


def serve(tool, stdin, stdout) -> int:
    """The worker loop: a WorkResponse for each WorkRequest until stdin closes."""
    while True:
        data = read_delimited(stdin)
        if data is None:
            return 0
        request = parse_work_request(data)
        if request["cancel"]:  # cancellation is not declared; answer without running
            write_delimited(stdout, encode_work_response(0, "", request["request_id"]))
            continue
        code, output = run_request(tool, request["arguments"])
        write_delimited(stdout, encode_work_response(code, output, request["request_id"]))


USAGE = "usage: worker.py TOOL.py (@PARAMS | --persistent_worker)"


def main(argv: list[str]) -> int:
    if argv[:1] in (["-h"], ["--help"]):
        print(USAGE)
        print(__doc__.split("\n\n", 2)[1])
        return 0
    if not argv:
        print(USAGE, file=sys.stderr)
        return 2
    tool_path, rest = argv[0], argv[1:]
    if "--persistent_worker" in rest:
        # The protocol owns the real stdout; anything else written to file descriptor 1
        # (a child process, a stray print) goes to stderr, which Bazel logs.
        protocol = os.fdopen(os.dup(1), "wb", buffering=0)
        os.dup2(2, 1)
        sys.stdout = sys.stderr
        tool = load_tool(tool_path)
        return serve(tool, sys.stdin.buffer, protocol)
    tool = load_tool(tool_path)
    return int(tool.main(expand_flagfiles(rest)) or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
