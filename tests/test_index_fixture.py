"""The local package index fixture: built packages, the served index and real uv locks."""

from __future__ import annotations

import base64
import hashlib
import json
import platform
import subprocess
import sys
import tarfile
import tomllib
import urllib.error
import urllib.request
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support.index_fixtures import (
    ALL_DEPENDENCIES,
    AUTH_PASSWORD,
    AUTH_USERNAME,
    BUILD_GROUP,
    PLATPKG_TAGS,
    SEED_WHEELS_ENV,
    SeedWheelsMissing,
    seed_wheels,
)
from tests.support.pkgbuild import build_sdist, build_wheel, sha256_file
from tests.support.pyindex import PackageIndex, normalize_name
from tests.support.uvlock import UvLockError, make_project, uv_lock


def _get(url: str, *, auth: tuple[str, str] | None = None, accept: str | None = None):
    request = urllib.request.Request(url)
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    if accept:
        request.add_header("Accept", accept)
    return urllib.request.urlopen(request, timeout=10)


def _packages(lock: dict, name: str) -> list[dict]:
    return [p for p in lock["package"] if p["name"] == name]


# -- pkgbuild ------------------------------------------------------------------------------


def test_wheel_is_deterministic_and_well_formed(tmp_path):
    tag = PLATPKG_TAGS["manylinux_x86_64"]
    kwargs = dict(
        tag=tag,
        requires_dist=['dep>=1; sys_platform == "linux"'],
        extras={"Fast": ["speedup; python_version < '3.12'"]},
        entry_points={"console_scripts": {"demo": "demo_pkg:main"}},
        requires_python=">=3.9",
    )
    first = build_wheel(tmp_path / "a", "Demo.Pkg", "1.2.3", **kwargs)
    second = build_wheel(tmp_path / "b", "Demo.Pkg", "1.2.3", **kwargs)
    assert first.name == f"demo_pkg-1.2.3-{tag}.whl"
    assert first.read_bytes() == second.read_bytes()

    with zipfile.ZipFile(first) as zf:
        names = zf.namelist()
        assert names[-1] == "demo_pkg-1.2.3.dist-info/RECORD"
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        wheel = zf.read("demo_pkg-1.2.3.dist-info/WHEEL").decode()
        assert "Tag: cp311-cp311-manylinux_2_17_x86_64\n" in wheel
        assert "Tag: cp311-cp311-manylinux2014_x86_64\n" in wheel
        assert "Root-Is-Purelib: false" in wheel
        metadata = zf.read("demo_pkg-1.2.3.dist-info/METADATA").decode()
        assert "Provides-Extra: fast\n" in metadata
        assert 'Requires-Dist: dep>=1; sys_platform == "linux"\n' in metadata
        assert (
            'Requires-Dist: speedup ; (python_version < "3.12") and extra == "fast"\n' in metadata
        )
        assert "Requires-Python: >=3.9\n" in metadata
        assert (
            "demo = demo_pkg:main" in zf.read("demo_pkg-1.2.3.dist-info/entry_points.txt").decode()
        )
        for line in zf.read("demo_pkg-1.2.3.dist-info/RECORD").decode().splitlines():
            path, digest, size = line.rsplit(",", 2)
            if path.endswith("RECORD"):
                continue
            data = zf.read(path)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert digest == "sha256=" + expected.decode() and int(size) == len(data)
        namespace: dict = {}
        exec(zf.read("demo_pkg/__init__.py"), namespace)
        assert namespace["hello"]() == f"Demo.Pkg 1.2.3 {tag}"


def test_sdist_is_deterministic(tmp_path):
    first = build_sdist(tmp_path / "a", "nativepkg", "1.0.0", c_extension=True)
    second = build_sdist(tmp_path / "b", "nativepkg", "1.0.0", c_extension=True)
    assert first.read_bytes() == second.read_bytes()
    with tarfile.open(first) as tf:
        members = tf.getmembers()
        assert [m.name for m in members] == sorted(m.name for m in members)
        assert {(m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, "", "")}
        assert "nativepkg-1.0.0/src/native.c" in {m.name for m in members}
        pyproject = tomllib.loads(tf.extractfile("nativepkg-1.0.0/pyproject.toml").read().decode())
    assert pyproject["build-system"]["build-backend"] == "setuptools.build_meta"


def _build_and_import(sdist: Path, work: Path, code: str) -> str:
    """Unpack ``sdist``, build it with ``python -m build --wheel --no-isolation``, import it."""
    with tarfile.open(sdist) as tf:
        tf.extractall(work / "src", filter="data")
    (src,) = (work / "src").iterdir()
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "-o", str(work / "dist")],
        cwd=src,
        check=True,
        capture_output=True,
        text=True,
    )
    (wheel,) = (work / "dist").glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(work / "site")
    prelude = f"import sys; sys.path.insert(0, {str(work / 'site')!r})\n"
    result = subprocess.run(
        [sys.executable, "-I", "-c", prelude + code],
        check=True,
        capture_output=True,
        text=True,
    )
    return wheel.name + "\n" + result.stdout


def test_sdists_build_for_real(standard_packages, tmp_path):
    native = standard_packages.files("nativepkg")[0]
    (pure,) = (p for p in standard_packages.files("purepkg") if p.name.endswith(".tar.gz"))
    with ThreadPoolExecutor(2) as pool:
        native_out = pool.submit(
            _build_and_import,
            native,
            tmp_path / "native",
            "import nativepkg; print(nativepkg.add(40, 2), nativepkg.native_hello())",
        )
        pure_out = pool.submit(
            _build_and_import, pure, tmp_path / "pure", "import purepkg; print(purepkg.hello())"
        )
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(
        platform.machine().lower(), platform.machine().lower()
    )
    wheel_name, output = native_out.result().splitlines()
    assert wheel_name.startswith("nativepkg-1.0.0-cp3") and "-none-any" not in wheel_name
    assert output == f"42 nativepkg 1.0.0 sdist built-for {machine}"
    wheel_name, output = pure_out.result().splitlines()
    assert wheel_name == "purepkg-1.0.0-py3-none-any.whl"
    assert output == "purepkg 1.0.0 sdist"


# -- the index -----------------------------------------------------------------------------


def test_index_pages(package_index):
    root = _get(package_index.url + "/").read().decode()
    for project in ("purepkg", "nativepkg", "platpkg", "mixed-case-pkg", "setuptools"):
        assert f'href="{project}/"' in root

    files = package_index.files
    page = _get(package_index.url + "/Mixed.Case_Pkg").read().decode()  # redirected
    entry = files["mixed_case_pkg-0.1.0-py3-none-any.whl"]
    assert f'href="../../files/{entry.filename}#sha256={entry.sha256}"' in page
    page = _get(package_index.url + "/markerpkg/").read().decode()
    assert 'data-requires-python="&gt;=3.9"' in page

    response = _get(package_index.url + "/nativepkg/", accept="application/vnd.pypi.simple.v1+json")
    assert response.headers["Content-Type"] == "application/vnd.pypi.simple.v1+json"
    (info,) = json.load(response)["files"]
    assert info["filename"] == "nativepkg-1.0.0.tar.gz"
    assert info["hashes"]["sha256"] == files[info["filename"]].sha256

    body = _get(package_index.base_url + "/files/nativepkg-1.0.0.tar.gz").read()
    assert hashlib.sha256(body).hexdigest() == info["hashes"]["sha256"]
    with pytest.raises(urllib.error.HTTPError) as err:
        _get(package_index.url + "/no-such-project/")
    assert err.value.code == 404


def test_auth_index_requires_credentials(auth_package_index):
    url = auth_package_index.url + "/purepkg/"
    with pytest.raises(urllib.error.HTTPError) as err:
        _get(url)
    assert err.value.code == 401
    assert err.value.headers["WWW-Authenticate"].startswith("Basic ")
    with pytest.raises(urllib.error.HTTPError) as err:
        _get(url, auth=(AUTH_USERNAME, "wrong"))
    assert err.value.code == 401
    page = _get(url, auth=(AUTH_USERNAME, AUTH_PASSWORD)).read().decode()
    assert "purepkg-1.0.0-py3-none-any.whl" in page


def test_index_stops(tmp_path):
    wheel = build_wheel(tmp_path, "purepkg", "1.0.0")
    with PackageIndex([wheel]) as index:
        url = index.url + "/"
        assert _get(url).status == 200
    with pytest.raises(urllib.error.URLError):
        _get(url)


def test_missing_seed_wheels_fail_clearly(tmp_path, monkeypatch):
    monkeypatch.setenv(SEED_WHEELS_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(SeedWheelsMissing, match="run tools/setup"):
        seed_wheels()


# -- real uv locks ---------------------------------------------------------------------------


def test_uv_lock_with_every_standard_package(lock_project, package_index, standard_packages):
    lock_path = lock_project(ALL_DEPENDENCIES, groups=BUILD_GROUP)
    lock = tomllib.loads(lock_path.read_text())
    assert package_index.url.startswith("http://127.0.0.1:")

    registry = {"registry": package_index.url}
    for pkg in lock["package"]:
        if pkg["name"] != "app":
            assert pkg["source"] == registry, pkg["name"]

    (platpkg,) = _packages(lock, "platpkg")
    built = {p.name: sha256_file(p) for p in standard_packages.files("platpkg")}
    locked = {w["url"].rsplit("/", 1)[1]: w["hash"] for w in platpkg["wheels"]}
    assert locked == {n: f"sha256:{h}" for n, h in built.items() if n.endswith(".whl")}
    assert set(locked) == {f"platpkg-1.0.0-{tag}.whl" for tag in PLATPKG_TAGS.values()}
    assert platpkg["sdist"]["hash"] == f"sha256:{built['platpkg-1.0.0.tar.gz']}"
    for wheel in platpkg["wheels"]:
        assert wheel["url"].startswith(package_index.base_url + "/files/")
        assert wheel["size"] > 0 and wheel["upload-time"]

    (nativepkg,) = _packages(lock, "nativepkg")
    assert "wheels" not in nativepkg
    assert nativepkg["sdist"]["url"] == package_index.file_url("nativepkg-1.0.0.tar.gz")
    assert nativepkg["dependencies"] == [{"name": "purepkg"}]

    (markerpkg,) = _packages(lock, "markerpkg")
    assert markerpkg["dependencies"] == [{"name": "purepkg", "marker": "sys_platform == 'linux'"}]
    assert markerpkg["optional-dependencies"] == {"cli": [{"name": "mixed-case-pkg"}]}
    assert _packages(lock, normalize_name("Mixed.Case_Pkg"))

    splits = _packages(lock, "splitpkg")
    assert {p["version"]: p["resolution-markers"] for p in splits} == {
        "1.0.0": ["platform_machine == 'x86_64'"],
        "2.0.0": ["platform_machine == 'aarch64'"],
    }
    assert "platform_machine == 'x86_64'" in lock["resolution-markers"]

    (app,) = _packages(lock, "app")
    assert app["source"] == {"virtual": "."}
    assert app["dev-dependencies"]["build"] == [{"name": "setuptools"}, {"name": "wheel"}]
    assert [p["version"] for p in _packages(lock, "setuptools")] == ["84.2.1"]
    assert _packages(lock, "wheel")[0]["dependencies"] == [{"name": "packaging"}]


def test_uv_lock_against_auth_index_with_url_credentials(auth_package_index, tmp_path):
    project = make_project(tmp_path / "p", "app", ["purepkg", "nativepkg"])
    lock_path = uv_lock(project, auth_package_index.url_with_credentials())
    text = lock_path.read_text()
    assert AUTH_PASSWORD not in text and AUTH_USERNAME not in text
    assert "pyuv-Secr3t" not in text  # nor a percent-encoded form
    lock = tomllib.loads(text)
    assert _packages(lock, "purepkg")[0]["source"] == {"registry": auth_package_index.url}


def test_uv_lock_against_auth_index_with_named_index_env(auth_package_index, tmp_path):
    project = make_project(tmp_path / "p", "app", ["purepkg"])
    env = {"UV_INDEX_PRIVATE_USERNAME": AUTH_USERNAME, "UV_INDEX_PRIVATE_PASSWORD": AUTH_PASSWORD}
    lock_path = uv_lock(project, f"private={auth_package_index.url}", env=env)
    text = lock_path.read_text()
    assert "pyuv-Secr3t" not in text and AUTH_USERNAME not in text
    assert f'source = {{ registry = "{auth_package_index.url}" }}' in text


def test_uv_lock_against_auth_index_without_credentials_fails(auth_package_index, tmp_path):
    project = make_project(tmp_path / "p", "app", ["purepkg"])
    with pytest.raises(UvLockError, match="401"):
        uv_lock(project, auth_package_index.url)
