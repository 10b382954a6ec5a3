"""A local git repository holding a Python project whose build records what it was given.

Its in-tree PEP 517 backend wraps setuptools and writes, into the built package, the
config_settings the backend received and the environment variables a test cares about
(PYUV_TEST_* and SETUPTOOLS_SCM_PRETEND_VERSION_FOR_*), so a test can check what reached
the backend by importing the package.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

PYPROJECT = """\
[build-system]
requires = ["setuptools"]
build-backend = "recording_backend"
backend-path = ["_backend"]

[project]
name = "{name}"
version = "{version}"

[tool.setuptools]
packages = ["{name}"]
"""

BACKEND = """\
import json
import os

from setuptools import build_meta as _setuptools

prepare_metadata_for_build_wheel = _setuptools.prepare_metadata_for_build_wheel
build_sdist = _setuptools.build_sdist
get_requires_for_build_sdist = _setuptools.get_requires_for_build_sdist


def get_requires_for_build_wheel(config_settings=None):
    return _setuptools.get_requires_for_build_wheel(None)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    seen = {
        "config_settings": config_settings or {},
        "env": {
            k: v
            for k, v in os.environ.items()
            if k.startswith(("PYUV_TEST_", "SETUPTOOLS_SCM_PRETEND_VERSION_FOR_"))
        },
    }
    with open(os.path.join(PACKAGE, "_build_info.py"), "w") as f:
        f.write("BUILD_INFO = %r\\n" % json.dumps(seen, sort_keys=True))
    return _setuptools.build_wheel(wheel_directory, None, metadata_directory)
"""

INIT = """\
import json

from {name}._build_info import BUILD_INFO


def hello():
    return "{name} {text}"


def build_info():
    return json.loads(BUILD_INFO)
"""


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env
    ).stdout.strip()


def write_project(repo: Path, name: str, text: str, version: str = "1.2.0") -> None:
    (repo / "_backend").mkdir(parents=True, exist_ok=True)
    (repo / name).mkdir(exist_ok=True)
    (repo / "pyproject.toml").write_text(PYPROJECT.format(name=name, version=version))
    (repo / "_backend" / "recording_backend.py").write_text(BACKEND.replace("PACKAGE", repr(name)))
    (repo / name / "__init__.py").write_text(INIT.format(name=name, text=text))
    (repo / name / "_build_info.py").write_text("BUILD_INFO = '{}'\n")


def make_recording_repo(repo: Path, name: str = "gitpkg") -> str:
    """Creates the repository (branch main, tag v1); returns the commit of the tag."""
    repo.mkdir(parents=True)
    write_project(repo, name, "locked")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "locked")
    git(repo, "tag", "v1")
    return git(repo, "rev-parse", "HEAD")


def move_on(repo: Path, name: str = "gitpkg") -> None:
    """A new commit on main: a lock made before must still build the old one."""
    write_project(repo, name, "moved on")
    git(repo, "commit", "-qam", "moved on")
