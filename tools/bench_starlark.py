#!/usr/bin/env python3
"""Benchmark: evaluating environment markers and choosing wheels, in starlark-pyo3.

Figures, not assertions (the tests check behaviour; timing on a shared CI machine is
noise). Moved here from tests/test_markers.py and tests/test_wheel_tags.py:

* markers: 10k marker texts (real-world ones and random ones from the differential test)
  parsed once, then evaluated for one target environment, per round;
* wheel tags: parsing 40k wheel file names, 100 tag-priority maps (one per target
  environment), and 100k selections of the best of 40 wheels.

    .venv/bin/python tools/bench_starlark.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.support.starlark_env import StarlarkEnv  # noqa: E402
from tests.test_markers import BATCH_SOURCE as MARKER_SOURCE  # noqa: E402
from tests.test_markers import SEED, TESTDATA, _random_markers  # noqa: E402
from tests.test_wheel_tags import _HELPERS as WHEEL_SOURCE  # noqa: E402
from tests.test_wheel_tags import _targets, _with_python  # noqa: E402


def _timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return result, (time.perf_counter() - start) * 1000


def bench_markers(env: StarlarkEnv, rounds: int) -> None:
    batch = env.load_source("//tests:markers_batch.bzl", MARKER_SOURCE)
    good, _ = _random_markers(SEED + 3, 500)
    lines = (TESTDATA / "real_world.txt").read_text(encoding="utf-8").splitlines()
    realistic = [line for line in lines if line.strip() and not line.startswith("#")]
    texts = ((realistic * 200)[:5000] + [pair[0] for pair in good] * 10)[:10_000]
    (target_env,) = batch.make_envs([("linux", "x86_64", "3.11")])
    # Passing the texts in and parsing them costs the same in both calls.
    _, parse_ms = _timed(batch.evaluate_rounds, texts, target_env, 0)
    count, total_ms = _timed(batch.evaluate_rounds, texts, target_env, rounds)
    evaluate_ms = (total_ms - parse_ms) / rounds
    print(
        f"markers: {len(texts)} texts, transfer+parse {parse_ms:.0f} ms, "
        f"evaluate {evaluate_ms:.0f} ms per round ({count // rounds} true)"
    )


def bench_wheel_tags(env: StarlarkEnv) -> None:
    helpers = env.load_source("//tests:wheel_tags_test_helpers.bzl", WHEEL_SOURCE)
    filenames = []
    for py in ["cp39", "cp310", "cp311", "cp312", "cp313"]:
        for plat in [
            "manylinux_2_17_x86_64.manylinux2014_x86_64",
            "manylinux_2_28_aarch64",
            "musllinux_1_2_x86_64",
            "macosx_10_9_x86_64",
            "macosx_11_0_arm64",
            "macosx_10_9_universal2",
            "win_amd64",
        ]:
            filenames.append(f"pkg-1.0-{py}-{py}-{plat}.whl")
    for plat in ["manylinux_2_17_aarch64", "musllinux_1_1_aarch64", "win_arm64", "linux_x86_64"]:
        filenames.append(f"pkg-1.0-cp311-abi3-{plat}.whl")
    filenames.append("pkg-1.0-py3-none-any.whl")
    targets = _with_python(_targets(), ["3.10", "3.11", "3.12", "3.13"])[:100]
    _, parse_ms = _timed(helpers.bench_parse, filenames, 1000)
    _, maps_ms = _timed(helpers.bench_maps, targets)
    found, total_ms = _timed(helpers.bench_all, filenames, 1000, targets)
    select_ms = total_ms - parse_ms - maps_ms
    print(
        f"wheel_tags: parse {1000 * len(filenames)} names {parse_ms:.0f} ms, "
        f"{len(targets)} priority maps {maps_ms:.0f} ms, {found} selections over "
        f"{len(filenames)} wheels {select_ms:.0f} ms (all three: {total_ms:.0f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="marker evaluation rounds")
    args = parser.parse_args()
    env = StarlarkEnv(REPO_ROOT)
    bench_markers(env, args.rounds)
    bench_wheel_tags(env)


if __name__ == "__main__":
    main()
