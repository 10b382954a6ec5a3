"""A PEP 503 "simple" package index on 127.0.0.1, served from a thread, for offline tests.

Layout (``base`` is ``http://127.0.0.1:<port>``; the port is ephemeral)::

    <base>/simple/                    root page, one anchor per project
    <base>/simple/<normalized-name>/  one anchor per file:
                                      href="../../files/<file>#sha256=<hex>"
                                      plus data-requires-python (read from the metadata)
    <base>/files/<file>               the file's bytes

Pages are HTML (PEP 503) unless the client's ``Accept`` asks for
``application/vnd.pypi.simple.v1+json``, as uv does; then they are PEP 691 JSON (API 1.1) with
``size`` and ``upload-time`` (PEP 700), so uv writes ``size``/``upload-time`` into ``uv.lock``
just as it does for a real index. Wheels also serve PEP 658 metadata at ``<file>.metadata``.
Pass ``json_api=False`` to serve HTML only (then locks carry neither ``size`` nor
``upload-time``).

Non-normalised project URLs redirect (301) to the normalised one, as real indexes do.
With ``username``/``password`` every request needs HTTP basic auth; without it (or with
wrong credentials) the answer is 401 with ``WWW-Authenticate: Basic``.

Usage::

    with PackageIndex(files=[...]) as index:
        index.url            # "http://127.0.0.1:PORT/simple"
        index.requests       # log of (method, path, status) tuples
"""

from __future__ import annotations

import base64
import email.parser
import hashlib
import hmac
import html
import json
import re
import tarfile
import threading
import urllib.parse
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

__all__ = [
    "DEFAULT_UPLOAD_TIME",
    "IndexFile",
    "PackageIndex",
    "normalize_name",
    "project_name_from_filename",
    "version_from_filename",
]

HOST = "127.0.0.1"


class _Server(ThreadingHTTPServer):
    # socketserver's default listen backlog of 5 overflows when uv opens dozens of
    # connections at once: the kernel drops the SYNs and uv waits for retransmits (1 s,
    # 3 s, ...) or times out and retries, which makes a 2 s `uv sync` take 30 s.
    request_queue_size = 128


def normalize_name(name: str) -> str:
    """PEP 503 normalisation: lower-case, runs of ``-``, ``_`` and ``.`` become ``-``."""
    return re.sub(r"[-_.]+", "-", name).lower()


_SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tgz")
JSON_CONTENT_TYPE = "application/vnd.pypi.simple.v1+json"
DEFAULT_UPLOAD_TIME = "2025-01-01T00:00:00Z"


def project_name_from_filename(filename: str) -> str:
    """Normalised project name of a wheel or sdist file name."""
    if filename.endswith(".whl"):
        return normalize_name(filename.split("-", 1)[0])
    for suffix in _SDIST_SUFFIXES:
        if filename.endswith(suffix):
            return normalize_name(filename[: -len(suffix)].rsplit("-", 1)[0])
    raise ValueError(f"not a wheel or sdist: {filename}")


def version_from_filename(filename: str) -> str:
    """The version part of a wheel or sdist file name."""
    if filename.endswith(".whl"):
        return filename.split("-")[1]
    for suffix in _SDIST_SUFFIXES:
        if filename.endswith(suffix):
            return filename[: -len(suffix)].rsplit("-", 1)[1]
    raise ValueError(f"not a wheel or sdist: {filename}")


def _read_core_metadata(path: Path) -> bytes | None:
    """Raw METADATA of a wheel or PKG-INFO of an sdist, if present."""
    raw = None
    try:
        if path.name.endswith(".whl"):
            with zipfile.ZipFile(path) as zf:
                for n in zf.namelist():
                    if n.count("/") == 1 and n.endswith(".dist-info/METADATA"):
                        raw = zf.read(n)
                        break
        elif path.name.endswith((".tar.gz", ".tgz")):
            with tarfile.open(path) as tf:
                for member in tf.getmembers():
                    if member.name.count("/") == 1 and member.name.endswith("/PKG-INFO"):
                        raw = tf.extractfile(member).read()
                        break
    except (OSError, zipfile.BadZipFile, tarfile.TarError):
        return None
    return raw


def _requires_python_of(raw: bytes | None) -> str | None:
    if raw is None:
        return None
    msg = email.parser.BytesHeaderParser().parsebytes(raw)
    value = msg.get("Requires-Python")
    return str(value).strip() if value else None


@dataclass(frozen=True)
class IndexFile:
    path: Path
    project: str  # normalised
    sha256: str
    size: int
    requires_python: str | None = None
    yanked: str | None = None  # reason; "" means yanked without a reason
    upload_time: str | None = DEFAULT_UPLOAD_TIME
    core_metadata: bytes | None = None  # wheels only (PEP 658)

    @property
    def filename(self) -> str:
        return self.path.name

    @property
    def version(self) -> str:
        return version_from_filename(self.path.name)


class PackageIndex:
    """A local simple index. ``start()``/``stop()`` or use it as a context manager."""

    def __init__(
        self,
        files: Iterable[str | Path] = (),
        *,
        username: str | None = None,
        password: str | None = None,
        json_api: bool = True,
    ) -> None:
        if (username is None) != (password is None):
            raise ValueError("give both username and password, or neither")
        self.username = username
        self.password = password
        self.json_api = json_api
        self._files: dict[str, IndexFile] = {}
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.requests: list[tuple[str, str, int]] = []
        for f in files:
            self.add_file(f)

    # -- content ---------------------------------------------------------------------------

    def add_file(
        self,
        path: str | Path,
        *,
        requires_python: str | None = None,
        yanked: str | None = None,
        upload_time: str | None = DEFAULT_UPLOAD_TIME,
    ) -> IndexFile:
        """Serve ``path``. ``requires_python`` defaults to the file's own metadata.

        ``yanked`` marks the file yanked with that reason (``""``: no reason).
        ``upload_time`` (ISO 8601, e.g. ``2025-01-01T00:00:00Z``) or None for none.
        """
        path = Path(path).resolve()
        data = path.read_bytes()
        metadata = _read_core_metadata(path)
        entry = IndexFile(
            path=path,
            project=project_name_from_filename(path.name),
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            requires_python=requires_python or _requires_python_of(metadata),
            yanked=yanked,
            upload_time=upload_time,
            core_metadata=metadata if path.name.endswith(".whl") else None,
        )
        with self._lock:
            self._files[path.name] = entry
        return entry

    def add_dir(self, directory: str | Path) -> list[IndexFile]:
        """Serve every wheel and sdist directly inside ``directory``."""
        return [
            self.add_file(p)
            for p in sorted(Path(directory).iterdir())
            if p.is_file() and (p.name.endswith(".whl") or p.name.endswith(_SDIST_SUFFIXES))
        ]

    @property
    def files(self) -> dict[str, IndexFile]:
        with self._lock:
            return dict(self._files)

    def projects(self) -> dict[str, list[IndexFile]]:
        out: dict[str, list[IndexFile]] = {}
        for f in sorted(self.files.values(), key=lambda f: f.filename):
            out.setdefault(f.project, []).append(f)
        return dict(sorted(out.items()))

    # -- URLs ------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("index is not running")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def url(self) -> str:
        """The simple-index URL, without a trailing slash: ``http://127.0.0.1:PORT/simple``."""
        return f"{self.base_url}/simple"

    def url_with_credentials(self) -> str:
        """``url`` with ``user:password@`` userinfo (percent-encoded)."""
        if self.username is None:
            return self.url
        user = urllib.parse.quote(self.username, safe="")
        password = urllib.parse.quote(self.password, safe="")
        return f"http://{user}:{password}@{HOST}:{self.port}/simple"

    def file_url(self, filename: str) -> str:
        return f"{self.base_url}/files/{urllib.parse.quote(filename)}"

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> PackageIndex:
        if self._server is not None:
            raise RuntimeError("index already running")
        handler = type("_BoundHandler", (_Handler,), {"index": self})
        server = _Server((HOST, 0), handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"pyindex-{server.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=10)

    def __enter__(self) -> PackageIndex:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- request handling helpers ----------------------------------------------------------

    def _authorized(self, header: str | None) -> bool:
        if self.username is None:
            return True
        if not header or not header.startswith("Basic "):
            return False
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return False
        user, sep, password = decoded.partition(":")
        return bool(sep) and (
            hmac.compare_digest(user.encode(), self.username.encode())
            & hmac.compare_digest(password.encode(), self.password.encode())
        )

    def _root_page(self) -> str:
        links = "\n".join(
            f'    <a href="{html.escape(p)}/">{html.escape(p)}</a><br/>' for p in self.projects()
        )
        return _page("Simple index", links)

    def _project_page(self, project: str) -> str | None:
        files = self.projects().get(project)
        if not files:
            return None
        rows = []
        for f in files:
            href = f"../../files/{urllib.parse.quote(f.filename)}#sha256={f.sha256}"
            attrs = f'href="{html.escape(href)}"'
            if f.requires_python:
                attrs += f' data-requires-python="{html.escape(f.requires_python)}"'
            if f.yanked is not None:
                attrs += f' data-yanked="{html.escape(f.yanked)}"'
            if f.core_metadata is not None:
                digest = hashlib.sha256(f.core_metadata).hexdigest()
                attrs += f' data-core-metadata="sha256={digest}"'
                attrs += f' data-dist-info-metadata="sha256={digest}"'
            rows.append(f"    <a {attrs}>{html.escape(f.filename)}</a><br/>")
        return _page(f"Links for {project}", "\n".join(rows))

    def _root_json(self) -> str:
        return json.dumps(
            {"meta": {"api-version": "1.1"}, "projects": [{"name": p} for p in self.projects()]}
        )

    def _project_json(self, project: str) -> str | None:
        files = self.projects().get(project)
        if not files:
            return None
        entries = []
        for f in files:
            entry: dict[str, object] = {
                "filename": f.filename,
                "url": f"../../files/{urllib.parse.quote(f.filename)}",
                "hashes": {"sha256": f.sha256},
                "size": f.size,
                "yanked": f.yanked if f.yanked else f.yanked is not None,
            }
            if f.requires_python:
                entry["requires-python"] = f.requires_python
            if f.upload_time:
                entry["upload-time"] = f.upload_time
            if f.core_metadata is not None:
                entry["core-metadata"] = {"sha256": hashlib.sha256(f.core_metadata).hexdigest()}
            entries.append(entry)
        versions = sorted({f.version for f in files})
        return json.dumps(
            {
                "meta": {"api-version": "1.1"},
                "name": project,
                "versions": versions,
                "files": entries,
            }
        )


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        '    <meta name="pypi:repository-version" content="1.0">\n'
        f"    <title>{html.escape(title)}</title>\n  </head>\n  <body>\n"
        f"    <h1>{html.escape(title)}</h1>\n{body}\n  </body>\n</html>\n"
    )


class _Handler(BaseHTTPRequestHandler):
    index: PackageIndex  # set on the per-server subclass
    server_version = "rules-pyuv-test-index/1.0"
    # HTTP/1.0: one request per connection, so stop() leaves no idle keep-alive threads.
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # keep test output quiet; see PackageIndex.requests

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(head=True)

    def do_GET(self) -> None:  # noqa: N802
        self._serve(head=False)

    def _send(
        self,
        status: int,
        body: bytes = b"",
        content_type: str = "text/plain; charset=utf-8",
        headers: dict[str, str] | None = None,
        head: bool = False,
    ) -> None:
        self.index.requests.append((self.command, self.path, status))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _serve(self, head: bool) -> None:
        if not self.index._authorized(self.headers.get("Authorization")):
            self._send(
                HTTPStatus.UNAUTHORIZED,
                b"401 Unauthorized\n",
                headers={"WWW-Authenticate": 'Basic realm="rules_pyuv test index"'},
                head=head,
            )
            return
        path = urllib.parse.urlsplit(self.path).path
        parts = [urllib.parse.unquote(p) for p in path.split("/")]
        # "/simple/" -> ["", "simple", ""]; "/simple/x/" -> ["", "simple", "x", ""]
        if parts[:2] == ["", "simple"]:
            if len(parts) == 2:
                self._redirect("/simple/", head)
            elif parts[2:] == [""]:
                if self._wants_json():
                    self._json(self.index._root_json(), head)
                else:
                    self._html(self.index._root_page(), head)
            elif len(parts) in (3, 4) and parts[3:] in ([], [""]):
                name = parts[2]
                canonical = normalize_name(name)
                if name != canonical or len(parts) == 3:
                    self._redirect(f"/simple/{urllib.parse.quote(canonical)}/", head)
                    return
                as_json = self._wants_json()
                if as_json:
                    page = self.index._project_json(canonical)
                else:
                    page = self.index._project_page(canonical)
                if page is None:
                    self._send(HTTPStatus.NOT_FOUND, b"no such project\n", head=head)
                elif as_json:
                    self._json(page, head)
                else:
                    self._html(page, head)
            else:
                self._send(HTTPStatus.NOT_FOUND, b"not found\n", head=head)
        elif len(parts) == 3 and parts[1] == "files":
            name = parts[2]
            if name.endswith(".whl.metadata"):
                entry = self.index.files.get(name[: -len(".metadata")])
                if entry is None or entry.core_metadata is None:
                    self._send(HTTPStatus.NOT_FOUND, b"no such file\n", head=head)
                else:
                    self._send(HTTPStatus.OK, entry.core_metadata, head=head)
                return
            entry = self.index.files.get(name)
            if entry is None:
                self._send(HTTPStatus.NOT_FOUND, b"no such file\n", head=head)
                return
            self._send(
                HTTPStatus.OK,
                entry.path.read_bytes(),
                content_type="application/octet-stream",
                headers={"ETag": f'"{entry.sha256}"'},
                head=head,
            )
        else:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", head=head)

    def _wants_json(self) -> bool:
        if not self.index.json_api:
            return False
        for item in (self.headers.get("Accept") or "").split(","):
            media, _, params = item.strip().partition(";")
            if media.strip() == JSON_CONTENT_TYPE:
                return params.replace(" ", "") not in ("q=0", "q=0.0")
        return False

    def _json(self, page: str, head: bool) -> None:
        self._send(HTTPStatus.OK, page.encode("utf-8"), content_type=JSON_CONTENT_TYPE, head=head)

    def _html(self, page: str, head: bool) -> None:
        self._send(
            HTTPStatus.OK,
            page.encode("utf-8"),
            content_type="text/html; charset=utf-8",
            head=head,
        )

    def _redirect(self, location: str, head: bool) -> None:
        self._send(HTTPStatus.MOVED_PERMANENTLY, b"", headers={"Location": location}, head=head)
