"""A torch-style project locked by real uv: conflicting extras, one version from two indexes.

Three local indexes on 127.0.0.1 (the default one and two `explicit` ones, like a CPU and
a CUDA wheel index):

=============  =================  ===========================================================
index          project, version   purpose
=============  =================  ===========================================================
main           accel 1.0.0        extras ``cpu`` -> ``accelnative==1.0.0+cpu``, ``gpu`` ->
                                  ``accelnative==1.0.0+cu121`` (two local versions)
main           accelnative        ``1.0.0+cpu`` and ``1.0.0+cu121``; ``KIND`` tells them apart
main           consumer 1.0.0     depends on ``torchy>=1.0`` (so uv writes encoded conflict
                                  markers on its edges)
main           torchy 1.0.0       ``KIND = 'default'``: neither side chosen
cpu, gpu       torchy 1.0.0       the same version with ``KIND = 'cpu'`` / ``'gpu'``
=============  =================  ===========================================================

The project ``app`` depends on ``consumer``; its extras ``cpu`` and ``gpu`` (declared in
conflict) pull ``accel[cpu]``/``accel[gpu]`` and ``torchy`` from their own index.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.index_fixtures import seed_wheels
from tests.support.pkgbuild import build_wheel
from tests.support.pyindex import PackageIndex
from tests.support.uvlock import make_project, uv_lock


def _kind(name: str, kind: str) -> dict[str, str]:
    return {f"{name}/__init__.py": f"KIND = {kind!r}\n"}


@dataclass
class VariantProject:
    lock: Path
    indexes: dict[str, PackageIndex]


@contextlib.contextmanager
def variant_project(
    base: Path, cache_dir: Path, conflict: str = "extra"
) -> Iterator[VariantProject]:
    """Builds the packages, serves the three indexes and locks ``app``; stops them after.

    ``conflict="group"`` declares ``cpu`` and ``gpu`` as dependency groups, not extras.
    """
    main = base / "main-files"
    main_files = [
        build_wheel(
            main,
            "accel",
            "1.0.0",
            extras={"cpu": ["accelnative==1.0.0+cpu"], "gpu": ["accelnative==1.0.0+cu121"]},
        ),
        build_wheel(main, "accelnative", "1.0.0+cpu", files=_kind("accelnative", "cpu")),
        build_wheel(main, "accelnative", "1.0.0+cu121", files=_kind("accelnative", "gpu")),
        build_wheel(main, "consumer", "1.0.0", requires_dist=["torchy>=1.0"]),
        build_wheel(main, "torchy", "1.0.0", files=_kind("torchy", "default")),
    ]
    sides = ("cpu", "gpu")
    side_files = {
        side: [build_wheel(base / f"{side}-files", "torchy", "1.0.0", files=_kind("torchy", side))]
        for side in sides
    }
    requirements = {side: [f"accel[{side}]", "torchy==1.0.0"] for side in sides}
    indexes: dict[str, PackageIndex] = {}
    try:
        indexes["main"] = PackageIndex(main_files + seed_wheels()).start()
        for side, files in side_files.items():
            indexes[side] = PackageIndex(files).start()
        project = make_project(
            base / "project",
            "app",
            ["consumer"],
            optional_dependencies=requirements if conflict == "extra" else None,
            groups=requirements if conflict == "group" else None,
            extra_uv_config={
                "conflicts": [[{conflict: side} for side in sides]],
                "index": [
                    {"name": side, "url": indexes[side].url, "explicit": True} for side in sides
                ],
                "sources": {"torchy": [{"index": side, conflict: side} for side in sides]},
            },
        )
        lock = uv_lock(project, indexes["main"].url, cache_dir=cache_dir)
        yield VariantProject(lock=lock, indexes=indexes)
    finally:
        for index in indexes.values():
            index.stop()
