"""Write small uv projects and lock them with the real ``uv`` binary, hermetically.

``uv_lock`` runs ``uv lock`` with:

* ``--default-index <index_url>`` (when given; always give it in tests, otherwise uv would
  fall back to the public index),
* a scrubbed environment: every host ``UV_*`` and ``PIP_*`` variable removed,
  ``127.0.0.1``/``localhost`` added to ``NO_PROXY``/``no_proxy``,
* ``UV_NO_CONFIG=1`` (no user/system ``uv.toml``; note this also makes uv ignore the
  *settings* part of the project's ``[tool.uv]``, e.g. ``[[tool.uv.index]] default = true`` or
  ``no-binary-package``; project-schema keys such as ``package``, ``environments``,
  ``required-environments``, ``sources`` and named indexes referenced from sources still
  apply). Pass ``no_config=False`` to honour the project's ``[tool.uv]`` settings; user and
  system configuration are then still hidden by pointing ``XDG_CONFIG_HOME`` and
  ``XDG_CONFIG_DIRS`` at an empty directory (``/etc/uv/uv.toml`` is not covered),
* ``UV_CACHE_DIR`` in a temporary directory (or ``cache_dir``), ``UV_PYTHON`` = this
  interpreter, ``UV_PYTHON_DOWNLOADS=never``; ``UV_OFFLINE`` is *not* set, since uv must talk
  to the index on 127.0.0.1.

Credentials for an authenticated index: either put them in the URL
(``PackageIndex.url_with_credentials()``) or name the index (``index_url="local=<url>"``)
and pass ``env={"UV_INDEX_LOCAL_USERNAME": ..., "UV_INDEX_LOCAL_PASSWORD": ...}``.
uv never writes the credentials into ``uv.lock``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "UvLockError",
    "find_uv",
    "make_project",
    "redact_userinfo",
    "toml_dumps",
    "uv_env",
    "uv_lock",
]


def redact_userinfo(text: str) -> str:
    """Replace ``user:password@`` in URLs with ``***@``."""
    return re.sub(r"(?<=://)[^/@\s]+@", "***@", text)


class UvLockError(RuntimeError):
    def __init__(self, cmd: Sequence[str], returncode: int, stdout: str, stderr: str) -> None:
        self.cmd = [redact_userinfo(c) for c in cmd]
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        super().__init__(
            f"`{' '.join(self.cmd)}` failed with exit code {returncode}\n"
            f"--- uv stderr ---\n{stderr.rstrip()}\n--- uv stdout ---\n{stdout.rstrip()}"
        )


# -- a tiny TOML writer (the standard library only reads TOML) ------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        # JSON string escapes are a subset of TOML basic-string escapes.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        inner = ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML: {value!r}")


def _toml_key(key: str) -> str:
    if key and all(c.isalnum() or c in "-_" for c in key) and key.isascii():
        return key
    return json.dumps(key)


def _is_table_array(value: Any) -> bool:
    return (
        isinstance(value, (list, tuple))
        and bool(value)
        and all(isinstance(v, Mapping) for v in value)
    )


def toml_dumps(data: Mapping[str, Any], _prefix: str = "") -> str:
    """Serialise nested dicts/lists/str/int/bool to TOML (tables and arrays of tables)."""
    lines: list[str] = []
    nested: list[tuple[str, Any]] = []
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, Mapping) or _is_table_array(value):
            nested.append((key, value))
        else:
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    out = "\n".join(lines) + ("\n" if lines else "")
    for key, value in nested:
        name = f"{_prefix}{_toml_key(key)}"
        if isinstance(value, Mapping):
            body = toml_dumps(value, name + ".")
            has_scalars = any(
                not (isinstance(v, Mapping) or _is_table_array(v)) and v is not None
                for v in value.values()
            )
            if has_scalars or not value:
                out += f"\n[{name}]\n"
            out += body
        else:
            for item in value:
                out += f"\n[[{name}]]\n" + toml_dumps(item, name + ".")
    return out


# -- projects --------------------------------------------------------------------------------


def make_project(
    project_dir: str | Path,
    name: str = "app",
    dependencies: Iterable[str] = (),
    *,
    groups: Mapping[str, Sequence[str]] | None = None,
    optional_dependencies: Mapping[str, Sequence[str]] | None = None,
    requires_python: str = ">=3.10",
    index_url: str | None = None,
    index_name: str = "local",
    extra_uv_config: Mapping[str, Any] | None = None,
    package: bool = False,
    version: str = "0.1.0",
) -> Path:
    """Write ``<project_dir>/pyproject.toml`` and return the project directory.

    ``groups`` become ``[dependency-groups]`` (e.g. ``{"build": ["setuptools"]}``),
    ``optional_dependencies`` become ``[project.optional-dependencies]``.

    ``package=False`` writes a virtual project (``[tool.uv] package = false``, no build
    system); ``package=True`` adds a setuptools ``[build-system]`` and a ``<name>/__init__.py``
    so the project itself is a package (locked as ``source = { editable = "." }``).

    ``index_url`` (optional) adds ``[[tool.uv.index]]`` named ``index_name`` with
    ``default = true``. ``uv_lock`` runs with ``UV_NO_CONFIG=1`` by default, which ignores
    that entry, so pass the URL to ``uv_lock`` as well (or use ``no_config=False``).
    ``extra_uv_config`` is merged into ``[tool.uv]`` (a dict, written with a small TOML
    writer; e.g. ``{"environments": ["sys_platform == 'linux'"]}``).

    The default ``requires_python`` is ``>=3.10`` because the seed setuptools (84.x)
    requires Python >= 3.10, so a ``build`` group holding it cannot lock for ``>=3.9``.
    """
    project_dir = Path(project_dir)
    project_dir.mkdir(parents=True, exist_ok=True)
    project: dict[str, Any] = {
        "name": name,
        "version": version,
        "requires-python": requires_python,
        "dependencies": list(dependencies),
    }
    if optional_dependencies:
        project["optional-dependencies"] = {k: list(v) for k, v in optional_dependencies.items()}
    doc: dict[str, Any] = {"project": project}
    if groups:
        doc["dependency-groups"] = {k: list(v) for k, v in groups.items()}
    if package:
        doc["build-system"] = {
            "requires": ["setuptools"],
            "build-backend": "setuptools.build_meta",
        }
        pkg_dir = project_dir / name.replace("-", "_").replace(".", "_").lower()
        pkg_dir.mkdir(exist_ok=True)
        init = pkg_dir / "__init__.py"
        if not init.exists():
            init.write_text(f'"""Test project {name}."""\n')
    tool_uv: dict[str, Any] = {"package": bool(package)}
    if index_url:
        tool_uv["index"] = [{"name": index_name, "url": index_url, "default": True}]
    if extra_uv_config:
        tool_uv.update(extra_uv_config)
    doc["tool"] = {"uv": tool_uv}
    (project_dir / "pyproject.toml").write_text(toml_dumps(doc).lstrip("\n"), encoding="utf-8")
    return project_dir


# -- running uv ------------------------------------------------------------------------------


def find_uv() -> str:
    """The ``uv`` next to this interpreter (a venv's ``bin/``), else on PATH, else the wheel's."""
    here = Path(sys.executable).parent  # not resolved: keep the venv's bin/ directory
    for candidate in (here / "uv", here / "uv.exe"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("uv")
    if found:
        return found
    try:
        from uv import find_uv_bin  # the ``uv`` package from the Python index
    except ImportError as err:
        raise FileNotFoundError("no uv binary found; install the dev requirements") from err
    return find_uv_bin()


def _add_no_proxy(value: str | None) -> str:
    hosts = [h.strip() for h in (value or "").split(",") if h.strip()]
    for host in ("127.0.0.1", "localhost"):
        if host not in hosts:
            hosts.append(host)
    return ",".join(hosts)


def uv_env(
    cache_dir: str | Path,
    *,
    no_config: bool = True,
    config_home: str | Path | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The scrubbed environment ``uv_lock`` runs uv with."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("UV_", "PIP_")) and k not in ("VIRTUAL_ENV", "CONDA_PREFIX")
    }
    env["NO_PROXY"] = _add_no_proxy(env.get("NO_PROXY"))
    env["no_proxy"] = _add_no_proxy(env.get("no_proxy"))
    env["UV_CACHE_DIR"] = str(cache_dir)
    env["UV_PYTHON"] = sys.executable
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env["UV_NO_PROGRESS"] = "1"
    env["NO_COLOR"] = "1"
    if no_config:
        env["UV_NO_CONFIG"] = "1"
    elif config_home is not None:
        env["XDG_CONFIG_HOME"] = str(config_home)
        env["XDG_CONFIG_DIRS"] = str(config_home)
    env.update(extra or {})
    return env


def uv_lock(
    project_dir: str | Path,
    index_url: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    args: Sequence[str] = (),
    cache_dir: str | Path | None = None,
    no_config: bool = True,
    timeout: float = 120,
) -> Path:
    """Run ``uv lock`` in ``project_dir`` and return the path of the written ``uv.lock``.

    ``index_url`` is passed as ``--default-index`` (it may carry ``user:pass@`` or be
    ``name=url``). ``env`` adds/overrides variables after scrubbing (e.g.
    ``UV_INDEX_LOCAL_PASSWORD``). ``args`` are extra ``uv lock`` arguments. ``cache_dir``
    defaults to a fresh temporary directory, removed afterwards. Raises ``UvLockError``
    (with uv's stderr) when uv fails.
    """
    project_dir = Path(project_dir)
    cmd = [find_uv(), "lock", "--color", "never"]
    if index_url:
        cmd += ["--default-index", index_url]
    cmd += list(args)
    with tempfile.TemporaryDirectory(prefix="uvlock-") as scratch:
        config_home = Path(scratch) / "config"
        config_home.mkdir()
        run_env = uv_env(
            cache_dir if cache_dir is not None else Path(scratch) / "cache",
            no_config=no_config,
            config_home=config_home,
            extra=env,
        )
        try:
            proc = subprocess.run(
                cmd,
                cwd=project_dir,
                env=run_env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as err:
            raise UvLockError(
                cmd, -1, str(err.stdout or ""), f"timed out after {timeout}s\n{err.stderr or ''}"
            ) from err
    if proc.returncode != 0:
        raise UvLockError(cmd, proc.returncode, proc.stdout, proc.stderr)
    lock = project_dir / "uv.lock"
    if not lock.is_file():
        raise UvLockError(cmd, proc.returncode, proc.stdout, proc.stderr + "\n(no uv.lock written)")
    return lock
