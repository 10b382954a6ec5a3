"""Reads a uv.lock into a plain, JSON-serializable model.

The model keeps what the planner needs and nothing that depends on the host:

    {
      "version": 1, "revision": 5,
      "requires_python": ">=3.10",            # "" when absent
      "resolution_markers": [...],
      "packages": [package, ...],             # in lock order
    }

    package = {
      "name": "typing-extensions",            # PEP 503 normalized
      "version": "4.12.2",
      "source": {"kind": "registry" | "url" | "path" | "directory" | "editable" |
                         "virtual" | "git", "value": "..."},
      "local": True for workspace members (editable/virtual/directory sources),
      "resolution_markers": [...],
      "dependencies": [dep, ...],
      "optional_dependencies": {"extra": [dep, ...]},
      "dev_dependencies": {"group": [dep, ...]},
      "sdist": artifact or None,
      "wheels": [artifact, ...],
    }

    dep = {"name": ..., "label": hub label name, "version": "" or a pinned version,
           "marker": "" or text, "extras": [...], "extra_labels": [...]}
    artifact = {"filename": ..., "url": "" or URL, "path": "" or lock-relative path,
                "sha256": "" or hex, "size": int or None}
"""

load(":names.bzl", "label_name", "normalize_name")
load(":toml.bzl", "decode_toml")

# The uv.lock format version this code reads. uv bumps `version` on incompatible
# changes and `revision` on compatible additions, so only `version` is checked.
SUPPORTED_LOCK_VERSION = 1

_SOURCE_KINDS = ["registry", "url", "path", "directory", "editable", "virtual", "git"]
_LOCAL_KINDS = ["directory", "editable", "virtual"]

def _error(filename, what):
    fail("%s: %s" % (filename, what))

def _describe(pkg):
    return "package \"%s\" %s" % (pkg.get("name", "?"), pkg.get("version", ""))

def _string(filename, table, key, where, default = None):
    value = table.get(key, default)
    if value == None:
        _error(filename, "%s has no \"%s\"" % (where, key))
    if type(value) != "string":
        _error(filename, "%s: \"%s\" must be a string, got %s" % (where, key, type(value)))
    return value

def _source(filename, pkg, where):
    source = pkg.get("source")
    if type(source) != "dict" or len(source) == 0:
        _error(filename, "%s has no source table" % where)
    for kind in _SOURCE_KINDS:
        if kind in source:
            return {"kind": kind, "value": source[kind]}
    _error(filename, "%s has a source of unknown kind %s; rules_pyuv reads %s" %
                     (where, sorted(source.keys()), ", ".join(_SOURCE_KINDS)))
    return None

def _dep(filename, raw, where):
    if type(raw) != "dict" or "name" not in raw:
        _error(filename, "%s: a dependency entry has no name: %s" % (where, raw))
    extras = raw.get("extra", [])
    if type(extras) != "list":
        _error(filename, "%s: \"extra\" of dependency \"%s\" must be a list" % (where, raw["name"]))
    name = normalize_name(raw["name"])
    return {
        "name": name,
        "label": label_name(name),
        "version": raw.get("version", ""),
        "marker": raw.get("marker", ""),
        "extras": [normalize_name(e) for e in extras],
        "extra_labels": [label_name(e) for e in extras],
    }

def _deps(filename, raw, where):
    if type(raw) != "list":
        _error(filename, "%s: dependencies must be a list" % where)
    return [_dep(filename, d, where) for d in raw]

def _dep_tables(filename, raw, where):
    if raw == None:
        return {}
    if type(raw) != "dict":
        _error(filename, "%s must be a table" % where)
    return {normalize_name(k): _deps(filename, v, where + "." + k) for k, v in raw.items()}

def _filename_of(location):
    # The last path segment, without query or fragment.
    path = location.split("#")[0].split("?")[0]
    return path.rstrip("/").split("/")[-1]

def _artifact(filename, raw, where, source):
    if type(raw) != "dict":
        _error(filename, "%s must be an inline table" % where)
    url = raw.get("url", "")
    path = raw.get("path", "")
    if not url and not path:
        # A direct-URL or path source names the location once, on the source.
        if source["kind"] == "url":
            url = source["value"]
        elif source["kind"] == "path":
            path = source["value"]
        else:
            _error(filename, "%s has neither url nor path" % where)
    digest = raw.get("hash", "")
    sha256 = ""
    if digest:
        algorithm, _, value = digest.partition(":")
        if algorithm != "sha256" or len(value) != 64:
            _error(filename, "%s: hash \"%s\" is not \"sha256:<64 hex digits>\"" % (where, digest))
        sha256 = value
    return {
        "filename": raw.get("filename", _filename_of(url or path)),
        "url": url,
        "path": path,
        "sha256": sha256,
        "size": raw.get("size"),
    }

def _package(filename, raw, index):
    where = "[[package]] #%d" % (index + 1)
    if type(raw) != "dict":
        _error(filename, "%s is not a table" % where)
    name = _string(filename, raw, "name", where)
    where = "%s (\"%s\")" % (where, name)
    source = _source(filename, raw, where)

    # Workspace members may have a dynamic version and then record none.
    version = _string(filename, raw, "version", where, default = "")
    where = _describe({"name": name, "version": version})
    sdist = raw.get("sdist")
    wheels = raw.get("wheels", [])
    if type(wheels) != "list":
        _error(filename, "%s: wheels must be a list" % where)
    return {
        "name": normalize_name(name),
        "version": version,
        "source": source,
        "local": source["kind"] in _LOCAL_KINDS,
        "resolution_markers": raw.get("resolution-markers", []),
        "dependencies": _deps(filename, raw.get("dependencies", []), where),
        "optional_dependencies": _dep_tables(
            filename,
            raw.get("optional-dependencies"),
            where + " optional-dependencies",
        ),
        "dev_dependencies": _dep_tables(
            filename,
            raw.get("dev-dependencies"),
            where + " dev-dependencies",
        ),
        "sdist": _artifact(filename, sdist, where + " sdist", source) if sdist != None else None,
        "wheels": [_artifact(filename, w, where + " wheel", source) for w in wheels],
    }

def lock_from_toml(doc, filename):
    """Builds the lock model from a decoded uv.lock document.

    Args:
      doc: the dict decode_toml returned.
      filename: the lock's name for error messages.

    Returns:
      The lock model (see the module docstring).
    """
    version = doc.get("version")
    if version == None:
        _error(filename, "not a uv.lock: no top-level \"version\"")
    if type(version) != "int":
        _error(filename, "\"version\" must be an integer, got %s" % version)
    if version > SUPPORTED_LOCK_VERSION:
        _error(filename, ("uv.lock version %d is newer than this rules_pyuv understands (%d); " +
                          "upgrade rules_pyuv, or lock with a uv release that writes version %d") %
                         (version, SUPPORTED_LOCK_VERSION, SUPPORTED_LOCK_VERSION))
    if version < SUPPORTED_LOCK_VERSION:
        _error(filename, "uv.lock version %d is too old; re-lock it with a current uv (`uv lock`)" %
                         version)
    raw_packages = doc.get("package", [])
    if type(raw_packages) != "list":
        _error(filename, "\"package\" must be an array of tables ([[package]])")
    packages = [_package(filename, p, i) for i, p in enumerate(raw_packages)]
    seen = {}
    for pkg in packages:
        key = pkg["name"] + " " + pkg["version"]
        if key in seen and not pkg["local"]:
            _error(filename, ("%s is locked twice (sources %s and %s); rules_pyuv needs one " +
                              "source per package version") %
                             (_describe(pkg), seen[key], pkg["source"]))
        seen[key] = pkg["source"]
    return {
        "version": version,
        "revision": doc.get("revision", 0),
        "requires_python": doc.get("requires-python", ""),
        "resolution_markers": doc.get("resolution-markers", []),
        "packages": packages,
    }

def parse_lock(text, filename):
    """Parses the text of a uv.lock.

    Args:
      text: the file's content.
      filename: the lock's name (or label) for error messages.

    Returns:
      The lock model (see the module docstring).
    """
    return lock_from_toml(decode_toml(text, filename), filename)
