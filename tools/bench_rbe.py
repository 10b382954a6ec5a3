#!/usr/bin/env python3
"""Benchmark: remote cache and remote execution economy of the example app for linux_arm64.

The example app (e2e/example, locked at run time by the real `uv lock` against the test
packages served on 127.0.0.1) is built for linux_arm64 through the local REAPI cluster
(tools/rbe/up, in its own RBE_RUN_DIR, brought down at the end), with Bazel 4.2.3:

1. cold: a fresh output base, an empty repository cache, an empty remote cache;
2. after `bazel clean`, same server: every action should be a remote cache hit and
   nothing is uploaded again but the action cache's lookups;
3. a new CI machine: a fresh output base and an empty repository cache against the warm
   remote cache (repositories are fetched from the index again; actions are cache hits),
   with the default download mode and with --remote_download_minimal;
4. against it, a cold `uv sync --frozen` of the same lock (empty uv cache, new venv; for
   this machine, as uv installs for the host only).

For each it prints the wall time, the actions by how they ran (Bazel's summary and the
execution log), and the bytes Bazel sent to and received from the cluster, counted by a
byte-counting TCP relay on 127.0.0.1 between Bazel and the cluster (gRPC's framing
included). Figures, not assertions: see docs/performance.md.

    .venv/bin/python tools/bench_rbe.py [--keep]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import socket
import sys
import tempfile
import threading
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.support.index_fixtures import build_standard_packages, serve  # noqa: E402
from tests.support.uvlock import uv_lock  # noqa: E402
from tools import bench_build as bb  # noqa: E402
from tools import rbe_example  # noqa: E402

EXAMPLE = REPO_ROOT / "e2e" / "example"


class CountingRelay:
    """A TCP relay on 127.0.0.1 to an upstream port that counts the bytes each way."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.sent = 0  # client -> upstream (what Bazel uploads and asks)
        self.received = 0  # upstream -> client (what Bazel downloads)
        self._lock = threading.Lock()
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(64)
        self.port = self._server.getsockname()[1]
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def reset(self) -> None:
        with self._lock:
            self.sent = self.received = 0

    def _count(self, upward: bool, n: int) -> None:
        with self._lock:
            if upward:
                self.sent += n
            else:
                self.received += n

    def _pump(self, src: socket.socket, dst: socket.socket, upward: bool) -> None:
        try:
            while True:
                data = src.recv(1 << 16)
                if not data:
                    break
                self._count(upward, len(data))
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def stop(self) -> None:
        self._stopped = True
        self._server.close()


def _mb(n: int) -> str:
    return f"{n / 1e6:.2f} MB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=bb.PYTHON, help="Python 3.11 uv syncs with")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (prints it)")
    args = parser.parse_args(argv)
    reason = rbe_example.unavailable()
    if reason:
        sys.exit(f"bench_rbe: the local cluster cannot run here: {reason}")
    # Our own cluster, apart from one started in .cache/rbe/run or by the tests.
    os.environ["RBE_RUN_DIR"] = str(REPO_ROOT / ".cache" / "rbe" / "bench-run")
    print(
        f"# bench_rbe {datetime.date.today().isoformat()}: {platform.machine()}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, Bazel 4.2.3, "
        "e2e/example for linux_arm64 on the local cluster",
        flush=True,
    )
    tmp = Path(tempfile.mkdtemp(prefix="bench_rbe."))
    user_root = REPO_ROOT / ".cache" / "bazel-bench" / "root"
    index = relay = None
    servers: list[bb.Bazel] = []
    rows: list[list[str]] = []
    walls: dict[str, float] = {}  # step -> seconds, server start included
    try:
        index = serve(build_standard_packages(tmp / "packages"))
        ws = tmp / "ws"
        shutil.copytree(EXAMPLE, ws, ignore=shutil.ignore_patterns("bazel-*", "uv.lock"))
        workspace = (ws / "WORKSPACE").read_text()
        ruleset = bb.snapshot_ruleset(tmp / "rules_pyuv")
        (ws / "WORKSPACE").write_text(workspace.replace('path = "../.."', f'path = "{ruleset}"'))
        lock = uv_lock(ws, index.url, cache_dir=tmp / "lock-cache")
        shutil.rmtree(tmp / "lock-cache", ignore_errors=True)
        print(f"# uv.lock: {lock.read_text().count('[[package]]') - 1} packages", flush=True)

        with rbe_example.cluster() as endpoint:
            host, port = endpoint.removeprefix("grpc://").rsplit(":", 1)
            relay = CountingRelay((host, int(port)))
            flags = rbe_example.remote_flags(f"grpc://127.0.0.1:{relay.port}", "linux_arm64")

            def build(name: str, bazel: bb.Bazel, *extra: str, start: float = 0.0) -> None:
                relay.reset()
                fig = bazel.build("//app:app", *flags, *extra)
                walls[name] = fig.seconds + start
                runners = ", ".join(f"{r} {n}" for r, n in sorted(fig.runners.items()))
                rows.append(
                    [
                        name,
                        bb._s(fig.seconds) + (f" (+{bb._s(start)} server start)" if start else ""),
                        fig.processes,
                        runners or "none",
                        _mb(relay.sent),
                        _mb(relay.received),
                    ]
                )
                print(" | ".join(rows[-1]), flush=True)

            first = bb.Bazel(ws, tmp / "machine-1", user_root)
            servers.append(first)
            start = first.start()
            build("cold (empty caches)", first, start=start)
            first.clean()
            build("after bazel clean", first)
            for i, (name, extra) in enumerate(
                [
                    ("new machine, warm remote cache", ()),
                    ("same, --remote_download_minimal", ("--remote_download_minimal",)),
                ]
            ):
                fresh = bb.Bazel(ws, tmp / f"machine-{i + 2}", user_root)
                servers.append(fresh)
                start = fresh.start()
                build(name, fresh, *extra, start=start)
            for bazel in servers:
                bazel.shutdown()
                bazel.started = False

        uv = bb.uv_sync_run(ws, tmp / "uv", args.python, lambda: None)
        rows.append(
            ["cold uv sync --frozen (host)", bb._s(uv.cold), f"{uv.installed} packages", "", "", ""]
        )
        print(
            bb._table(
                [
                    "step",
                    "wall s",
                    "actions (Bazel's summary)",
                    "spawns by runner",
                    "sent",
                    "received",
                ],
                rows,
            )
        )
        print()
        for name in ("new machine, warm remote cache", "same, --remote_download_minimal"):
            print(f"{name} (server start + build) / cold uv sync: {walls[name] / uv.cold:.2f}x")
        return 0
    finally:
        for bazel in servers:
            if bazel.started:
                bazel.shutdown()
        if relay is not None:
            relay.stop()
        if index is not None:
            index.stop()
        if args.keep:
            print(f"# kept {tmp}")
        else:
            bb._rmtree(tmp)
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
