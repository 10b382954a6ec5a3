"""pytest fixtures: a local package index with a standard set of test packages, and locks.

Register with ``pytest_plugins = ["tests.support.index_fixtures"]`` in ``tests/conftest.py``.

The standard set (built once per session, all served from one index):

=================  =========  ==================================================================
project            version    artifacts and purpose
=================  =========  ==================================================================
purepkg            1.0.0      ``py3-none-any`` wheel + sdist; no dependencies
markerpkg          1.0.0      wheel only; ``Requires-Python >=3.9``; depends on
                              ``purepkg>=1.0; sys_platform == "linux"`` (marker-only
                              dependency); extra ``cli`` -> ``Mixed.Case_Pkg>=0.1``
Mixed.Case_Pkg     0.1.0      wheel only, file name ``mixed_case_pkg-...``, PEP 503 name
                              ``mixed-case-pkg``, import ``mixed_case_pkg``; console script
                              ``mixed-case-hello = mixed_case_pkg:main``
nativepkg          1.0.0      **sdist only**, with the C extension ``nativepkg._native``
                              (``add(a, b)``, ``machine()``); depends on ``purepkg>=1.0``
platpkg            1.0.0      hand-tagged wheels (see ``PLATPKG_TAGS``: manylinux_2_17
                              x86_64/aarch64, musllinux_1_2 x86_64, macosx_11_0_arm64,
                              win_amd64, all cp311) + a pure sdist
splitpkg           1.0.0      ``py3-none-any`` wheel
splitpkg           2.0.0      ``py3-none-any`` wheel; ``SPLIT_DEPENDENCIES`` pins 1.0.0 on
                              x86_64 and 2.0.0 on aarch64, so the lock forks
winonly            1.0.0      one ``cp311-cp311-win_amd64`` wheel and no sdist: unusable
                              anywhere else (not in ``ALL_DEPENDENCIES``)
clasha, clashb     1.0.0      wheels that both install ``clash/__init__.py`` with different
                              content (not in ``ALL_DEPENDENCIES``)
cyca, cycb         1.0.0      wheels that depend on each other (not in ``ALL_DEPENDENCIES``)
setuptools,        (seeds)    wheels from ``.cache/seed-wheels`` (``tools/setup``), so a
wheel, packaging              ``build`` dependency group can lock setuptools and wheel
=================  =========  ==================================================================

Every default module has ``hello()`` returning ``"<name> <version> <wheel tag or 'sdist'>"``.

Fixtures:

* ``standard_packages`` (session): ``StandardPackages`` — where the artifacts are.
* ``package_index`` (session): a running ``PackageIndex`` serving them, no auth.
* ``auth_package_index`` (session): the same files behind HTTP basic auth
  (``AUTH_USERNAME``/``AUTH_PASSWORD``).
* ``uv_cache_dir`` (session): a uv cache shared by the session's locks.
* ``lock_project`` (function): ``lock_project(dependencies, **kw) -> Path`` writes a project
  under ``tmp_path`` and locks it against ``package_index`` (see ``LockProject.__call__``).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.pkgbuild import build_sdist, build_wheel
from tests.support.pyindex import PackageIndex, normalize_name, project_name_from_filename
from tests.support.uvlock import make_project, uv_lock

REPO_ROOT = Path(__file__).resolve().parents[2]
SEED_WHEELS_ENV = "RULES_PYUV_SEED_WHEELS"
DEFAULT_SEED_WHEELS = REPO_ROOT / ".cache" / "seed-wheels"
# wheel 0.48 depends on packaging, so a lock holding wheel needs packaging too.
REQUIRED_SEEDS = ("setuptools", "wheel", "packaging")

AUTH_USERNAME = "pyuv-user"
AUTH_PASSWORD = "pyuv-Secr3t:pw/@#"  # contains URL-special characters on purpose

PLATPKG_TAGS = {
    "manylinux_x86_64": "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64",
    "manylinux_aarch64": "cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64",
    "musllinux_x86_64": "cp311-cp311-musllinux_1_2_x86_64",
    "macos_arm64": "cp311-cp311-macosx_11_0_arm64",
    "windows_amd64": "cp311-cp311-win_amd64",
}

SPLIT_DEPENDENCIES = (
    "splitpkg==1.0.0; platform_machine == 'x86_64'",
    "splitpkg==2.0.0; platform_machine == 'aarch64'",
)

# Project dependencies that use every standard package.
ALL_DEPENDENCIES = (
    "purepkg>=1.0",
    "markerpkg[cli]==1.0.0",
    "nativepkg==1.0.0",
    "platpkg==1.0.0",
    *SPLIT_DEPENDENCIES,
)
BUILD_GROUP = {"build": ["setuptools", "wheel"]}


class SeedWheelsMissing(RuntimeError):
    pass


def seed_wheels_dir() -> Path:
    """``$RULES_PYUV_SEED_WHEELS`` or ``<repo>/.cache/seed-wheels``."""
    override = os.environ.get(SEED_WHEELS_ENV)
    return Path(override) if override else DEFAULT_SEED_WHEELS


def seed_wheels() -> list[Path]:
    """The seed wheels; raises ``SeedWheelsMissing`` naming what is absent and the fix."""
    directory = seed_wheels_dir()
    wheels = sorted(directory.glob("*.whl")) if directory.is_dir() else []
    have = {project_name_from_filename(w.name) for w in wheels}
    missing = [name for name in REQUIRED_SEEDS if name not in have]
    if missing:
        raise SeedWheelsMissing(
            f"seed wheels {', '.join(missing)} not found in {directory}: run tools/setup "
            f"(it downloads the build backends the local test index serves), or point "
            f"{SEED_WHEELS_ENV} at a directory holding wheels of {', '.join(REQUIRED_SEEDS)}"
        )
    return wheels


@dataclass
class StandardPackages:
    directory: Path  # the built artifacts (seed wheels are not copied here)
    seeds: list[Path]
    artifacts: dict[str, list[Path]] = field(default_factory=dict)  # normalised name -> files

    def files(self, project: str) -> list[Path]:
        return list(self.artifacts.get(normalize_name(project), []))

    def all_files(self) -> list[Path]:
        return [p for paths in self.artifacts.values() for p in paths] + list(self.seeds)


def build_standard_packages(out_dir: str | Path) -> StandardPackages:
    """Build the standard set (see the module docstring) into ``out_dir``."""
    out = Path(out_dir)
    seeds = seed_wheels()
    built = [
        build_wheel(out, "purepkg", "1.0.0"),
        build_sdist(out, "purepkg", "1.0.0"),
        build_wheel(
            out,
            "markerpkg",
            "1.0.0",
            requires_python=">=3.9",
            requires_dist=['purepkg>=1.0; sys_platform == "linux"'],
            extras={"cli": ["Mixed.Case_Pkg>=0.1"]},
        ),
        build_wheel(
            out,
            "Mixed.Case_Pkg",
            "0.1.0",
            entry_points={"console_scripts": {"mixed-case-hello": "mixed_case_pkg:main"}},
        ),
        build_sdist(out, "nativepkg", "1.0.0", c_extension=True, requires_dist=["purepkg>=1.0"]),
        *(build_wheel(out, "platpkg", "1.0.0", tag=tag) for tag in PLATPKG_TAGS.values()),
        build_sdist(out, "platpkg", "1.0.0"),
        build_wheel(out, "splitpkg", "1.0.0"),
        build_wheel(out, "splitpkg", "2.0.0"),
        build_wheel(out, "winonly", "1.0.0", tag="cp311-cp311-win_amd64"),
        *(
            build_wheel(out, name, "1.0.0", files={"clash/__init__.py": f"OWNER = {name!r}\n"})
            for name in ("clasha", "clashb")
        ),
        build_wheel(out, "cyca", "1.0.0", requires_dist=["cycb>=1.0"]),
        build_wheel(out, "cycb", "1.0.0", requires_dist=["cyca>=1.0"]),
    ]
    packages = StandardPackages(directory=out, seeds=seeds)
    for path in built:
        packages.artifacts.setdefault(project_name_from_filename(path.name), []).append(path)
    return packages


def serve(packages: StandardPackages, **index_kwargs: Any) -> PackageIndex:
    """A started index serving ``packages`` and the seed wheels (the caller stops it)."""
    index = PackageIndex(packages.all_files(), **index_kwargs)
    return index.start()


@dataclass
class LockProject:
    """Callable returned by the ``lock_project`` fixture."""

    base_dir: Path
    index: PackageIndex
    cache_dir: Path
    _counter: itertools.count = field(default_factory=lambda: itertools.count(1))

    def __call__(
        self,
        dependencies: Iterable[str] = ALL_DEPENDENCIES,
        *,
        groups: Mapping[str, Sequence[str]] | None = None,
        optional_dependencies: Mapping[str, Sequence[str]] | None = None,
        requires_python: str = ">=3.10",
        name: str = "app",
        package: bool = False,
        extra_uv_config: Mapping[str, Any] | None = None,
        index_url: str | None = None,
        env: Mapping[str, str] | None = None,
        args: Sequence[str] = (),
        no_config: bool = True,
    ) -> Path:
        """Write a fresh project and ``uv lock`` it; returns the ``uv.lock`` path.

        ``index_url`` defaults to the fixture's index URL (``package_index.url``).
        The project directory is ``lock.parent``.
        """
        project_dir = self.base_dir / f"project{next(self._counter)}"
        make_project(
            project_dir,
            name,
            dependencies,
            groups=groups,
            optional_dependencies=optional_dependencies,
            requires_python=requires_python,
            extra_uv_config=extra_uv_config,
            package=package,
        )
        return uv_lock(
            project_dir,
            index_url or self.index.url,
            env=env,
            args=args,
            cache_dir=self.cache_dir,
            no_config=no_config,
        )


@pytest.fixture(scope="session")
def standard_packages(tmp_path_factory: pytest.TempPathFactory) -> StandardPackages:
    """The standard test packages, built once per session (fails if seed wheels are missing)."""
    try:
        return build_standard_packages(tmp_path_factory.mktemp("standard-packages"))
    except SeedWheelsMissing as err:
        message = str(err)
    pytest.fail(message, pytrace=False)


@pytest.fixture(scope="session")
def package_index(standard_packages: StandardPackages) -> Iterable[PackageIndex]:
    """A running local index (no auth) serving the standard packages and seed wheels."""
    index = serve(standard_packages)
    try:
        yield index
    finally:
        index.stop()


@pytest.fixture(scope="session")
def auth_package_index(standard_packages: StandardPackages) -> Iterable[PackageIndex]:
    """Like ``package_index`` but behind basic auth (``AUTH_USERNAME``/``AUTH_PASSWORD``)."""
    index = serve(standard_packages, username=AUTH_USERNAME, password=AUTH_PASSWORD)
    try:
        yield index
    finally:
        index.stop()


@pytest.fixture(scope="session")
def uv_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A uv cache shared by the session's ``lock_project`` calls."""
    return tmp_path_factory.mktemp("uv-cache")


@pytest.fixture
def lock_project(tmp_path: Path, package_index: PackageIndex, uv_cache_dir: Path) -> LockProject:
    """``lock_project(dependencies, groups=..., ...) -> Path`` of a fresh ``uv.lock``."""
    return LockProject(base_dir=tmp_path, index=package_index, cache_dir=uv_cache_dir)


@pytest.fixture(scope="session")
def session_lock_project(
    tmp_path_factory: pytest.TempPathFactory, package_index: PackageIndex, uv_cache_dir: Path
) -> LockProject:
    """Like ``lock_project``, for session-scoped users (the Starlark calls Bazel answers)."""
    base = tmp_path_factory.mktemp("session-locks")
    return LockProject(base_dir=base, index=package_index, cache_dir=uv_cache_dir)
