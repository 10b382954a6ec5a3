#!/usr/bin/env python3
# ruff: noqa: E402  (GRPC_ENABLE_FORK_SUPPORT must be set before gRPC is imported)
"""A Remote Workers API bot that runs REAPI actions for a BuildGrid server.

BuildGrid's Bots service hands out work as *leases*; this bot holds one bot session
(`google.devtools.remoteworkers.v1test2`), takes one lease at a time and for each:

1. fetches the Action, its Command and its input root from CAS;
2. materialises the input root in a fresh directory;
3. runs the command with exactly the action's environment (plus PATH if the action sets
   none, like `env -i PATH=... K=V ... cmd`), in the action's working directory, killing
   its process group when the action's timeout passes;
4. uploads stdout, stderr, output files and output directories (as Trees) to CAS and
   reports the ActionResult in the lease; BuildGrid stores it in the ActionCache and
   answers the client's Execute call.

While an action runs the bot keeps its session alive (UpdateBotSession every few
seconds); when idle it long-polls for work. It advertises its platform in
`worker.devices[0].properties` (BuildGrid ignores top-level worker properties), e.g.
`OSFamily=Linux`, `Arch=arm64`: the scheduler hands it only actions whose matched
properties are a subset of these.

Two modes:

  --host           run actions directly on this machine (the amd64 worker);
  --chroot ROOTFS  run them inside ROOTFS (the arm64 worker: a Debian arm64 userland
                   executed through qemu-user's binfmt handler). The input root is
                   copied to ROOTFS/rbe-actions/<id> and the command runs as
                   `chroot ROOTFS /usr/bin/env --chdir=/rbe-actions/<id>/<wd> -- argv...` with a
                   clean environment. /proc, /sys, /dev and /dev/pts are mounted into
                   ROOTFS once at start and unmounted on every way out (normal exit,
                   SIGTERM, SIGINT, errors); `tools/rbe/down` unmounts them if the bot
                   was killed with SIGKILL.

Every action runs under `setpriv --pdeathsig KILL`, so it dies with the bot. A bot
restarted with the same --bot-id makes BuildGrid requeue whatever its previous session
was running, so a killed worker's action runs again as soon as it is back. A bot stopped
with SIGTERM/SIGINT signs off: it hands a running action back as UNAVAILABLE (BuildGrid
retries it elsewhere) and reports BOT_TERMINATING so that it gets no new work.

Run it with the Python of .cache/rbe/venv (BuildGrid ships the protos):

  .cache/rbe/venv/bin/python tools/rbe/worker.py --endpoint grpc://127.0.0.1:PORT \
      --bot-id rbe-arm64 --arch arm64 --chroot .cache/rbe/run/arm64-rootfs
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import signal
import subprocess
import sys
import threading
import uuid
from pathlib import Path

# gRPC's fork handlers are of no use here (children exec at once) and log noise.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

import grpc
from buildgrid._protos.build.bazel.remote.execution.v2 import remote_execution_pb2 as re_pb2
from buildgrid._protos.build.bazel.remote.execution.v2 import remote_execution_pb2_grpc as re_grpc
from buildgrid._protos.google.bytestream import bytestream_pb2, bytestream_pb2_grpc
from buildgrid._protos.google.devtools.remoteworkers.v1test2 import (
    bots_pb2,
    bots_pb2_grpc,
    worker_pb2,
)
from buildgrid._protos.google.rpc import code_pb2, status_pb2

LOG = logging.getLogger("rbe-worker")
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEFAULT_TIMEOUT = 3600.0  # seconds, when the action sets none
KEEPALIVE = 5.0  # seconds between UpdateBotSession calls while an action runs
LONG_POLL = 30.0  # gRPC deadline of an idle UpdateBotSession (the server waits ~80% of it)
BATCH_LIMIT = 1 << 20  # blobs up to this size go through Batch{Read,Update}Blobs
CHUNK = 1 << 20
# The action dies with the bot (e.g. when the bot is SIGKILLed). Not a preexec_fn: Python
# code between fork and exec in a process with gRPC threads can crash the child.
DIE_WITH_BOT = ["/usr/bin/setpriv", "--pdeathsig", "KILL", "--"]


def digest_of(data: bytes) -> re_pb2.Digest:
    return re_pb2.Digest(hash=hashlib.sha256(data).hexdigest(), size_bytes=len(data))


def digest_of_file(path: Path) -> re_pb2.Digest:
    h, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return re_pb2.Digest(hash=h.hexdigest(), size_bytes=size)


class Cas:
    """The few CAS calls the bot needs: read blobs to files, upload files and messages."""

    def __init__(self, channel: grpc.Channel, instance: str):
        self.cas = re_grpc.ContentAddressableStorageStub(channel)
        self.bytestream = bytestream_pb2_grpc.ByteStreamStub(channel)
        self.instance = instance

    def _resource(self, *parts: str) -> str:
        return "/".join(p for p in (self.instance, *parts) if p)

    def read_bytes(self, digest: re_pb2.Digest) -> bytes:
        if digest.size_bytes == 0:
            return b""
        name = self._resource("blobs", digest.hash, str(digest.size_bytes))
        data = b"".join(
            r.data for r in self.bytestream.Read(bytestream_pb2.ReadRequest(resource_name=name))
        )
        if len(data) != digest.size_bytes:
            raise RuntimeError(
                f"CAS returned {len(data)} bytes for {digest.hash}/{digest.size_bytes}"
            )
        return data

    def read_message(self, digest: re_pb2.Digest, cls):
        message = cls()
        message.ParseFromString(self.read_bytes(digest))
        return message

    def fetch_files(self, wanted: list[tuple[re_pb2.Digest, Path, bool]]) -> None:
        """Writes each (digest, path, is_executable); small blobs are read in batches."""
        small = [w for w in wanted if 0 < w[0].size_bytes <= BATCH_LIMIT]
        for digest, path, executable in wanted:
            if digest.size_bytes == 0 or digest.size_bytes > BATCH_LIMIT:
                _write(path, self.read_bytes(digest), executable)
        while small:
            batch, total = [], 0
            while small and (not batch or total + small[-1][0].size_bytes <= 2 * BATCH_LIMIT):
                batch.append(small.pop())
                total += batch[-1][0].size_bytes
            unique = {d.hash: d for d, _, _ in batch}
            response = self.cas.BatchReadBlobs(
                re_pb2.BatchReadBlobsRequest(
                    instance_name=self.instance, digests=list(unique.values())
                )
            )
            blobs = {}
            for r in response.responses:
                if r.status.code != code_pb2.OK:
                    raise RuntimeError(f"CAS read of {r.digest.hash}: {r.status.message}")
                blobs[r.digest.hash] = r.data
            for digest, path, executable in batch:
                _write(path, blobs[digest.hash], executable)

    def upload(
        self, files: dict[str, Path], blobs: dict[str, bytes], digests: dict[str, re_pb2.Digest]
    ) -> None:
        """Uploads what CAS lacks of `files` and `blobs` (both keyed by hash)."""
        missing = self.cas.FindMissingBlobs(
            re_pb2.FindMissingBlobsRequest(
                instance_name=self.instance, blob_digests=list(digests.values())
            )
        ).missing_blob_digests
        batch, total = [], 0
        for digest in missing:
            data = blobs[digest.hash] if digest.hash in blobs else None
            if digest.size_bytes > BATCH_LIMIT:
                self._write_stream(digest, data, files.get(digest.hash))
                continue
            if data is None:
                data = files[digest.hash].read_bytes()
            if batch and total + len(data) > 2 * BATCH_LIMIT:
                self._batch_update(batch)
                batch, total = [], 0
            batch.append(re_pb2.BatchUpdateBlobsRequest.Request(digest=digest, data=data))
            total += len(data)
        if batch:
            self._batch_update(batch)

    def _batch_update(self, requests) -> None:
        response = self.cas.BatchUpdateBlobs(
            re_pb2.BatchUpdateBlobsRequest(instance_name=self.instance, requests=requests)
        )
        for r in response.responses:
            if r.status.code != code_pb2.OK:
                raise RuntimeError(f"CAS upload of {r.digest.hash}: {r.status.message}")

    def _write_stream(self, digest: re_pb2.Digest, data: bytes | None, path: Path | None) -> None:
        name = self._resource(
            "uploads", str(uuid.uuid4()), "blobs", digest.hash, str(digest.size_bytes)
        )

        def requests():
            f = open(path, "rb") if data is None else None  # noqa: SIM115
            try:
                offset = 0
                while True:
                    chunk = data[offset : offset + CHUNK] if f is None else f.read(CHUNK)
                    last = offset + len(chunk) >= digest.size_bytes
                    yield bytestream_pb2.WriteRequest(
                        resource_name=name if offset == 0 else "",
                        write_offset=offset,
                        finish_write=last,
                        data=chunk,
                    )
                    offset += len(chunk)
                    if last:
                        return
            finally:
                if f:
                    f.close()

        self.bytestream.Write(requests())


def _write(path: Path, data: bytes, executable: bool) -> None:
    path.write_bytes(data)
    path.chmod(0o755 if executable else 0o644)


def materialize(cas: Cas, root_digest: re_pb2.Digest, dest: Path) -> None:
    """Writes the input root tree `root_digest` into the (new, empty) directory dest."""
    # An empty Directory serialises to zero bytes: it needs no CAS lookup.
    empty = re_pb2.Directory()
    directories = {digest_of(b"").hash: empty}
    if root_digest.hash not in directories:
        request = re_pb2.GetTreeRequest(instance_name=cas.instance, root_digest=root_digest)
        for response in cas.cas.GetTree(request):
            for d in response.directories:
                directories[digest_of(d.SerializeToString()).hash] = d
    wanted = []

    def walk(directory: re_pb2.Directory, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        for f in directory.files:
            wanted.append((f.digest, path / f.name, f.is_executable))
        for link in directory.symlinks:
            os.symlink(link.target, path / link.name)
        for sub in directory.directories:
            walk(directories[sub.digest.hash], path / sub.name)

    walk(directories[root_digest.hash], dest)
    cas.fetch_files(wanted)


class Outputs:
    """Collects output files and directories into ActionResult fields plus blobs to upload."""

    def __init__(self) -> None:
        self.files: dict[str, Path] = {}
        self.blobs: dict[str, bytes] = {}
        self.digests: dict[str, re_pb2.Digest] = {}

    def add_file(self, path: Path) -> re_pb2.Digest:
        digest = digest_of_file(path)
        self.files[digest.hash] = path
        self.digests[digest.hash] = digest
        return digest

    def add_message(self, message) -> re_pb2.Digest:
        data = message.SerializeToString()
        digest = digest_of(data)
        self.blobs[digest.hash] = data
        self.digests[digest.hash] = digest
        return digest

    def directory(self, path: Path, children: list[re_pb2.Directory]) -> re_pb2.Directory:
        """The Directory message of path; its sub-directories are appended to children."""
        result = re_pb2.Directory()
        for entry in sorted(os.scandir(path), key=lambda e: e.name):
            if entry.is_symlink():
                result.symlinks.add(name=entry.name, target=os.readlink(entry.path))
            elif entry.is_dir():
                sub = self.directory(Path(entry.path), children)
                children.append(sub)
                result.directories.add(name=entry.name, digest=self.add_message(sub))
            elif entry.is_file():
                executable = os.access(entry.path, os.X_OK)
                result.files.add(
                    name=entry.name,
                    digest=self.add_file(Path(entry.path)),
                    is_executable=executable,
                )
        return result

    def collect(self, command: re_pb2.Command, workdir: Path, result: re_pb2.ActionResult) -> None:
        paths = list(command.output_paths) or [*command.output_files, *command.output_directories]
        for rel in paths:
            path = workdir / rel
            if path.is_dir():
                children: list[re_pb2.Directory] = []
                root = self.directory(path, children)
                tree = re_pb2.Tree(root=root, children=children)
                result.output_directories.add(path=rel, tree_digest=self.add_message(tree))
            elif path.is_file():  # follows symlinks: the client gets the content
                result.output_files.add(
                    path=rel, digest=self.add_file(path), is_executable=os.access(path, os.X_OK)
                )


class Cancelled(Exception):
    """The action was killed because its lease was cancelled or the bot is stopping."""


class Executor:
    """Runs one action: inputs, process, outputs. Host or chroot mode."""

    def __init__(self, cas: Cas, bot_id: str, work_root: Path, chroot: Path | None):
        self.cas = cas
        self.bot_id = bot_id
        self.work_root = work_root  # on the host; ROOTFS/rbe-actions in chroot mode
        self.chroot = chroot
        self.process: subprocess.Popen | None = None
        self.cancelled = threading.Event()

    def cancel(self) -> None:
        self.cancelled.set()
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)

    def run(self, action: re_pb2.Action) -> tuple[re_pb2.ActionResult, status_pb2.Status]:
        meta = re_pb2.ExecutedActionMetadata(worker=self.bot_id)
        meta.worker_start_timestamp.GetCurrentTime()
        action_id = uuid.uuid4().hex[:12]
        action_dir = self.work_root / action_id
        try:
            meta.input_fetch_start_timestamp.GetCurrentTime()
            command = self.cas.read_message(action.command_digest, re_pb2.Command)
            materialize(self.cas, action.input_root_digest, action_dir / "root")
            meta.input_fetch_completed_timestamp.GetCurrentTime()
            workdir = action_dir / "root" / command.working_directory
            workdir.mkdir(parents=True, exist_ok=True)
            # The worker creates the parents of outputs (not output directories themselves).
            for rel in [*command.output_paths, *command.output_files, *command.output_directories]:
                (workdir / rel).parent.mkdir(parents=True, exist_ok=True)

            env = {"PATH": DEFAULT_PATH}
            env.update({v.name: v.value for v in command.environment_variables})
            argv = [*DIE_WITH_BOT, *command.arguments]
            cwd: Path | None = workdir
            if self.chroot:
                inside = "/" + str(workdir.relative_to(self.chroot))
                chroot = ["/usr/sbin/chroot", str(self.chroot)]
                argv = [*DIE_WITH_BOT, *chroot, "/usr/bin/env", f"--chdir={inside}", "--"]
                argv += command.arguments
                cwd = None
            timeout = action.timeout.ToTimedelta().total_seconds() or DEFAULT_TIMEOUT
            LOG.info(
                "run %s (timeout %ss): %s", action_id, timeout, " ".join(command.arguments)[:300]
            )

            meta.execution_start_timestamp.GetCurrentTime()
            stdout_path, stderr_path = action_dir / "stdout", action_dir / "stderr"
            with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
                self.process = subprocess.Popen(
                    argv,
                    cwd=cwd,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    start_new_session=True,
                )
                status = status_pb2.Status(code=code_pb2.OK)
                try:
                    exit_code = self.process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    os.killpg(self.process.pid, signal.SIGKILL)
                    exit_code = self.process.wait()
                if exit_code < 0:  # killed by a signal: report it the way a shell does
                    exit_code = 128 - exit_code
                    status = status_pb2.Status(
                        code=code_pb2.DEADLINE_EXCEEDED,
                        message=f"action timed out after {timeout}s",
                    )
            meta.execution_completed_timestamp.GetCurrentTime()
            if self.cancelled.is_set():
                raise Cancelled()
            LOG.info("done %s: exit code %d", action_id, exit_code)

            meta.output_upload_start_timestamp.GetCurrentTime()
            result = re_pb2.ActionResult(exit_code=exit_code)
            outputs = Outputs()
            result.stdout_digest.CopyFrom(outputs.add_file(stdout_path))
            result.stderr_digest.CopyFrom(outputs.add_file(stderr_path))
            outputs.collect(command, workdir, result)
            self.cas.upload(outputs.files, outputs.blobs, outputs.digests)
            meta.output_upload_completed_timestamp.GetCurrentTime()
            meta.worker_completed_timestamp.GetCurrentTime()
            result.execution_metadata.CopyFrom(meta)
            return result, status
        finally:
            self.process = None
            remove_tree(action_dir)


def remove_tree(path: Path) -> None:
    """rm -rf that never crosses into another file system (e.g. a bind mount)."""
    if os.path.lexists(path):
        subprocess.run(["rm", "-rf", "--one-file-system", "--", str(path)], check=False)


class ChrootMounts:
    """/proc, /sys, /dev and /dev/pts mounted into a rootfs for the bot's lifetime."""

    MOUNTS = [
        ("proc", ["-t", "proc", "proc"]),
        ("sys", ["-t", "sysfs", "sysfs"]),
        ("dev", ["--bind", "/dev"]),
        ("dev/pts", ["--bind", "/dev/pts"]),
    ]

    def __init__(self, rootfs: Path):
        self.rootfs = rootfs.resolve()

    @staticmethod
    def mounted() -> set[str]:
        with open("/proc/self/mounts") as f:
            return {line.split()[1] for line in f}

    def __enter__(self) -> ChrootMounts:
        try:
            for rel, how in self.MOUNTS:
                target = self.rootfs / rel
                if str(target) not in self.mounted():  # a killed bot may have left it
                    target.mkdir(parents=True, exist_ok=True)
                    subprocess.run(["mount", *how, str(target)], check=True)
        except BaseException:
            self.__exit__()
            raise
        LOG.info("mounted /proc /sys /dev /dev/pts into %s", self.rootfs)
        return self

    def __exit__(self, *exc) -> None:
        for rel, _ in reversed(self.MOUNTS):
            target = str(self.rootfs / rel)
            if target in self.mounted():
                if subprocess.run(["umount", target], check=False).returncode != 0:
                    subprocess.run(["umount", "-l", target], check=False)
        LOG.info("unmounted /proc /sys /dev /dev/pts from %s", self.rootfs)


class Bot:
    """The bot session loop: long-poll for a lease, run it, report it, keep alive."""

    def __init__(self, channel: grpc.Channel, args: argparse.Namespace, executor: Executor):
        self.channel = channel
        self.bots = bots_pb2_grpc.BotsStub(channel)
        self.args = args
        self.executor = executor
        self.session: bots_pb2.BotSession | None = None

    def _new_session(self) -> bots_pb2.BotSession:
        device = worker_pb2.Device(handle=self.args.bot_id)
        for key, value in self.args.properties:
            device.properties.add(key=key, value=value)
        worker = worker_pb2.Worker(devices=[device])
        worker.configs.add(key="capacity", value="1")
        session = bots_pb2.BotSession(bot_id=self.args.bot_id, status=bots_pb2.OK, worker=worker)
        request = bots_pb2.CreateBotSessionRequest(parent=self.args.instance, bot_session=session)
        return self.bots.CreateBotSession(request, timeout=LONG_POLL)

    def _update(self, leases: list[bots_pb2.Lease], timeout: float) -> bots_pb2.BotSession:
        session = bots_pb2.BotSession()
        session.CopyFrom(self.session)
        del session.leases[:]
        session.leases.extend(leases)
        request = bots_pb2.UpdateBotSessionRequest(name=session.name, bot_session=session)
        return self.bots.UpdateBotSession(request, timeout=timeout)

    def serve(self, stop: threading.Event) -> None:
        """Runs until stop is set (or SystemExit from a signal), then signs off."""
        self.current: tuple[bots_pb2.Lease, threading.Thread, dict] | None = None
        try:
            self._loop(stop)
        finally:
            self._sign_off()

    def _sign_off(self) -> None:
        """Tells the server this bot is going away (status BOT_TERMINATING: no new work)
        and hands back a running lease as UNAVAILABLE, which BuildGrid retries elsewhere."""
        leases = []
        if self.current is not None:
            lease, thread, _ = self.current
            self.executor.cancel()
            thread.join(timeout=10)
            lease.state = bots_pb2.LeaseState.COMPLETED
            lease.status.CopyFrom(
                status_pb2.Status(code=code_pb2.UNAVAILABLE, message="the worker stopped")
            )
            leases.append(lease)
        if self.session is not None:
            self.session.status = bots_pb2.BOT_TERMINATING
            try:
                self._update(leases, 3.0)
                LOG.info("signed off (%d lease(s) handed back)", len(leases))
            except grpc.RpcError as e:
                LOG.warning("could not sign off: %s", e.code())

    def _loop(self, stop: threading.Event) -> None:
        done = threading.Event()  # set by the lease thread when its action finished
        while not stop.is_set():
            try:
                if self.session is None:
                    grpc.channel_ready_future(self.channel).result(timeout=LONG_POLL)
                    LOG.info("connected to %s; creating a bot session", self.args.endpoint)
                    self.session = self._new_session()
                    LOG.info("bot session %s (%s)", self.session.name, self.args.properties)
                elif self.current is None:  # idle: long-poll for work
                    self.session = self._update([], LONG_POLL)
                else:
                    lease, thread, outcome = self.current
                    if done.is_set():  # report the result
                        thread.join()
                        lease.state = bots_pb2.LeaseState.COMPLETED
                        lease.status.CopyFrom(outcome["status"])
                        if "result" in outcome:
                            lease.result.Pack(outcome["result"])
                        self.session = self._update([lease], LONG_POLL)
                        self.current = None
                    else:  # keep-alive; the server drops a lease it cancelled
                        self.session = self._update([lease], LONG_POLL)
                        if lease.id not in {held.id for held in self.session.leases}:
                            LOG.warning("lease %s was cancelled by the server", lease.id)
                            self.executor.cancel()
                            thread.join()
                            self.current = None
            except grpc.FutureTimeoutError:
                LOG.warning("cannot connect to %s; retrying", self.args.endpoint)
                continue
            except grpc.RpcError as e:
                if e.code() == grpc.StatusCode.DEADLINE_EXCEEDED and self.current is None:
                    continue  # an idle long-poll ended without work
                LOG.warning("bots call failed: %s %s", e.code(), e.details())
                if e.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND):
                    # The server forgot this session (expired, restarted): start over; it
                    # has requeued whatever this session was running.
                    if self.current:
                        self.executor.cancel()
                        self.current[1].join()
                        self.current = None
                    self.session = None
                stop.wait(1.0)
                continue
            if self.current is None:
                for lease in self.session.leases:
                    if lease.state in (bots_pb2.LeaseState.PENDING, bots_pb2.LeaseState.ACTIVE):
                        lease.state = bots_pb2.LeaseState.ACTIVE
                        done.clear()
                        self.current = self._start(lease, done)
                        break
            if self.current is not None:
                done.wait(KEEPALIVE)

    def _start(self, lease: bots_pb2.Lease, done: threading.Event):
        outcome: dict = {}
        action = re_pb2.Action()
        if lease.payload.Is(re_pb2.Action.DESCRIPTOR):
            lease.payload.Unpack(action)
            digest = None
        else:
            digest = re_pb2.Digest()
            lease.payload.Unpack(digest)
        self.executor.cancelled.clear()

        def work() -> None:
            try:
                act = (
                    action
                    if digest is None
                    else self.executor.cas.read_message(digest, re_pb2.Action)
                )
                outcome["result"], outcome["status"] = self.executor.run(act)
            except Cancelled:
                LOG.info("lease %s: action cancelled", lease.id)
                outcome["status"] = status_pb2.Status(code=code_pb2.CANCELLED)
            except Exception as e:  # reported as INTERNAL: BuildGrid retries the job
                LOG.exception("lease %s failed", lease.id)
                outcome["status"] = status_pb2.Status(
                    code=code_pb2.INTERNAL, message=f"worker: {e}"
                )
            finally:
                done.set()

        LOG.info("lease %s", lease.id)
        thread = threading.Thread(target=work, name=f"lease-{lease.id[:8]}", daemon=True)
        thread.start()
        return lease, thread, outcome


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--endpoint", required=True, help="grpc://127.0.0.1:PORT of the BuildGrid server"
    )
    p.add_argument("--instance", default="", help="REAPI instance name (default: empty)")
    p.add_argument(
        "--bot-id", required=True, help="stable id; a restart with it requeues lost work"
    )
    p.add_argument("--arch", required=True, choices=["amd64", "arm64"], help="the Arch property")
    p.add_argument(
        "--property",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="another device property",
    )
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--host", action="store_true", help="run actions directly on this machine")
    mode.add_argument("--chroot", type=Path, metavar="ROOTFS", help="run actions inside ROOTFS")
    p.add_argument("--work-dir", type=Path, help="host mode: where action directories go")
    p.add_argument("--pid-file", type=Path, help="write this process's PID here")
    args = p.parse_args(argv)
    args.properties = [("OSFamily", "Linux"), ("Arch", args.arch)]
    args.properties += [tuple(kv.split("=", 1)) for kv in args.property]
    if args.host and not args.work_dir:
        p.error("--host needs --work-dir")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        format=f"%(asctime)s {args.bot_id} %(levelname)s %(message)s",
        stream=sys.stdout,
    )
    if args.pid_file:
        args.pid_file.write_text(f"{os.getpid()}\n")
    stop = threading.Event()

    def on_signal(signum, _frame):
        LOG.info("signal %d: stopping", signum)
        # Only once: a second signal must not interrupt signing off and unmounting.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stop.set()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    channel = grpc.insecure_channel(args.endpoint.removeprefix("grpc://"))
    cas = Cas(channel, args.instance)
    executor = None
    try:
        if args.chroot:
            rootfs = args.chroot.resolve()
            if not (rootfs / "usr/bin/env").exists():
                LOG.error("%s is not a root file system", rootfs)
                return 2
            work_root = rootfs / "rbe-actions"
            remove_tree(work_root)  # before mounting: nothing of ours is below it
            work_root.mkdir()
            with ChrootMounts(rootfs):
                executor = Executor(cas, args.bot_id, work_root, rootfs)
                Bot(channel, args, executor).serve(stop)
        else:
            work_root = args.work_dir.resolve()
            remove_tree(work_root)
            work_root.mkdir(parents=True)
            executor = Executor(cas, args.bot_id, work_root, None)
            Bot(channel, args, executor).serve(stop)
    finally:
        if executor:
            executor.cancel()
        if args.pid_file:
            args.pid_file.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
