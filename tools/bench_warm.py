#!/usr/bin/env python3
"""Benchmark: the warm paths of a Bazel build of a locked app stay (nearly) free.

On tools/bench_build.py's synthetic app (N packages served from a package index on
127.0.0.1, locked by the real `uv lock`), after one cold `bazel build //app:app`, it
measures with Bazel 4.2.3, each step on the same server unless said otherwise:

1. a no-op build, then editing an app file: which actions re-run (by mnemonic, from the
   execution log) — no PyWheelInstall nor PySdistBuild may appear;
2. the lock rewritten with the same bytes, and then again after a server restart: which
   repository rules run (from Bazel's marker files and the JSON profile) — the hub
   (@pypi) must not be evaluated again, nor any wheel repository;
3. one package's version changed in the lock (a new version published to the index, then
   `uv lock --upgrade-package NAME`): which repositories are fetched (the hub and that
   package's wheel) and which actions re-run (that package's PyWheelInstall and the app's
   PyPackagesCheck conflict check, nothing for the other packages).

It prints a table per step and a verdict per expectation. Figures, not assertions: see
docs/performance.md.

    .venv/bin/python tools/bench_warm.py [--packages 50] [--seed 0] [--keep]
"""

from __future__ import annotations

import argparse
import collections
import datetime
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.support.bazel import read_execution_log  # noqa: E402
from tests.support.index_fixtures import BUILD_GROUP, seed_wheels  # noqa: E402
from tests.support.pkgbuild import build_wheel, import_name  # noqa: E402
from tests.support.pyindex import PackageIndex  # noqa: E402
from tests.support.uvlock import make_project, uv_lock  # noqa: E402
from tools import bench_build as bb  # noqa: E402

# Actions that install or build packages: none may re-run when only the app changes.
PACKAGE_MNEMONICS = ("PyWheelInstall", "PySdistBuild")


def _pick_package(pkgs: list[bb.Package]) -> bb.Package:
    """The pure-wheel package most others depend on (its change reaches the most targets)."""
    dependents = collections.Counter()
    for pkg in pkgs:
        for req in pkg.deps:
            dependents[req.split(">=")[0]] += 1
    pure = [p for p in pkgs if p.kind == "pure"]
    return max(pure, key=lambda p: (dependents[p.name], p.name))


def _bump(version: str) -> str:
    parts = version.split(".")
    return ".".join(parts[:-1] + [str(int(parts[-1]) + 1)])


def _markers(bazel: bb.Bazel) -> dict[str, tuple[int, int]]:
    """(mtime, size) of each repository's marker file, which Bazel writes when it has run
    the repository's rule; the profile records only the runs long enough to show."""
    external = bazel.scratch / "output_base" / "external"
    found = {}
    for marker in external.glob("@*.marker"):
        stat = marker.stat()
        found[marker.name[1 : -len(".marker")]] = (stat.st_mtime_ns, stat.st_size)
    return found


class Step:
    """One measured build: its seconds, the spawns it ran and the repository rules it ran."""

    def __init__(self, name: str, bazel: bb.Bazel, build: str = "//app:app"):
        before = _markers(bazel)
        figures = bazel.build(build)
        after = _markers(bazel)
        self.name = name
        self.seconds = figures.seconds
        self.spawns = figures.spawns
        ran = {r for r, stamp in after.items() if before.get(r) != stamp}
        self.repositories = sorted(ran | set(figures.profile.repositories))
        self.installs = sorted(
            s.get("progressMessage", "")
            for s in read_execution_log(bazel.log)
            if s.get("mnemonic") == "PyWheelInstall"
        )

    def row(self) -> list[str]:
        actions = ", ".join(f"{m} {n}" for m, n in sorted(self.spawns.items())) or "none"
        repos = len(self.repositories)
        shown = ", ".join("@" + r for r in self.repositories[:4])
        more = f" (+{repos - 4})" if repos > 4 else ""
        return [
            self.name,
            bb._s(self.seconds),
            actions,
            f"{repos}: {shown}{more}" if repos else "0",
        ]


def _verdict(ok: bool, text: str) -> str:
    return f"{'OK  ' if ok else 'MISS'} {text}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=50, help="packages the app depends on")
    parser.add_argument("--seed", type=int, default=0, help="seed of the package generator")
    parser.add_argument("--python", default=bb.PYTHON, help="Python 3.11 the builds use")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (prints it)")
    args = parser.parse_args(argv)
    if not (REPO_ROOT / ".cache" / "bazel4" / "bazelrc").exists():
        sys.exit("bench_warm: Bazel is not set up: run tools/setup")
    print(
        f"# bench_warm {datetime.date.today().isoformat()}: {platform.machine()}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, Bazel 4.2.3, "
        f"--packages {args.packages} --seed {args.seed}",
        flush=True,
    )
    py_version = bb.interpreter_version(args.python)
    tmp = Path(tempfile.mkdtemp(prefix="bench_warm."))
    user_root = REPO_ROOT / ".cache" / "bazel-bench" / "root"
    index = None
    bazel = None
    try:
        pkgs = bb.plan_packages(args.packages, args.seed)
        files = bb.build_packages(pkgs, tmp / "packages")
        index = PackageIndex([*files, *seed_wheels()]).start()
        ws = tmp / "ws"
        make_project(
            ws, "bench-app", bb.top_level(pkgs), groups=BUILD_GROUP, requires_python=">=3.11"
        )
        lock = uv_lock(ws, index.url, cache_dir=tmp / "lock-cache")
        (ws / "WORKSPACE").write_text(
            bb.WORKSPACE.format(
                repo=bb.snapshot_ruleset(tmp / "rules_pyuv"),
                python_version=py_version,
                hub_attrs="",  # the default hub, as in the figures of docs/performance.md
            )
        )
        (ws / "BUILD.bazel").write_text("")
        (ws / "platforms").mkdir()
        (ws / "platforms" / "BUILD.bazel").write_text(
            bb.PLATFORMS_BUILD.format(python=args.python, python_version=py_version)
        )
        (ws / "app").mkdir()
        (ws / "app" / "BUILD.bazel").write_text(bb.app_build(pkgs))
        main_py = ws / "app" / "main.py"
        main_py.write_text(bb.app_main(pkgs))

        bazel = bb.Bazel(ws, tmp / "bazel", user_root)
        bazel.start()
        steps = [Step("cold build", bazel)]
        steps.append(Step("no-op right after", bazel))

        main_py.write_text(bb.app_main(pkgs, 1))
        steps.append(Step("app file edited", bazel))

        text = lock.read_bytes()
        time.sleep(1.1)  # a new mtime, the same bytes
        lock.write_bytes(text)
        steps.append(Step("lock rewritten, same bytes", bazel))

        bazel.shutdown()
        bazel.started = False
        bazel.start()
        steps.append(Step("same, after a server restart", bazel))

        pkg = _pick_package(pkgs)
        new_version = _bump(pkg.version)
        wheel = build_wheel(
            tmp / "packages-new",
            pkg.name,
            new_version,
            requires_dist=pkg.deps,
            extras=pkg.extras,
            requires_python=pkg.requires_python,
        )
        index.add_file(wheel)
        uv_lock(ws, index.url, cache_dir=tmp / "lock-cache", args=["--upgrade-package", pkg.name])
        changed = lock.read_text().count(f'version = "{new_version}"')
        steps.append(Step(f"{pkg.name} {pkg.version} -> {new_version}", bazel))

        print(
            bb._table(
                [
                    "step",
                    "seconds",
                    "actions run (execution log)",
                    "repository rules run (marker files, profile)",
                ],
                [s.row() for s in steps],
            )
        )
        cold, noop, edit, same, restart, bump = steps
        label = import_name(pkg.name)
        normalized = re.sub(r"[-_.]+", "-", pkg.name).lower()
        print()
        print(
            _verdict(
                not any(edit.spawns[m] for m in PACKAGE_MNEMONICS),
                f"an app edit re-runs no package action ({edit.spawns.get('PyWheelInstall', 0)} "
                f"PyWheelInstall, {edit.spawns.get('PySdistBuild', 0)} PySdistBuild; "
                f"{sum(edit.spawns.values())} actions in all)",
            )
        )

        def of_the_lock(repositories: list[str]) -> list[str]:
            # The hub and its artifact repositories. A new server refreshes Bazel's own
            # (@bazel_tools, @local_config_*) and the local_repository of the ruleset,
            # and re-evaluating the WORKSPACE may refresh local_config_*: none is the lock's.
            return [r for r in repositories if r == "pypi" or r.startswith("pypi__")]

        for step in (noop, same, restart):
            ours = of_the_lock(step.repositories)
            others = [r for r in step.repositories if r not in ours]
            print(
                _verdict(
                    not ours and not sum(step.spawns.values()),
                    f"{step.name}: {len(ours)} repository rules of the lock "
                    f"({len(others)} others{': ' if others else ''}"
                    f"{', '.join('@' + r for r in others)}) and "
                    f"{sum(step.spawns.values())} actions run",
                )
            )
        others = [r for r in of_the_lock(bump.repositories) if r != "pypi" and label not in r]
        print(
            _verdict(
                changed >= 1 and "pypi" in bump.repositories and not others,
                f"version change: the lock has {changed} new entry; repositories run: "
                + (", ".join("@" + r for r in bump.repositories) or "none"),
            )
        )
        extra = {m: n for m, n in bump.spawns.items() if m not in ("PyWheelInstall",)}
        print(
            _verdict(
                bump.installs == [m for m in bump.installs if f"Installing {normalized} " in m]
                and len(bump.installs) == 1,
                f"version change re-runs PyWheelInstall for {bump.installs or 'nothing'}; "
                f"other actions: {extra or 'none'} (of {sum(cold.spawns.values())} in the "
                "cold build)",
            )
        )
        return 0
    finally:
        if bazel is not None and bazel.started:
            bazel.shutdown()
        if index is not None:
            index.stop()
        if args.keep:
            print(f"# kept {tmp}")
        else:
            bb._rmtree(tmp)
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
