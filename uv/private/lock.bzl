"""Reads a uv.lock into a plain, JSON-serializable model, validating it on the way.

The lock is untrusted input (it arrives in pull requests and from bots). Every field
that later becomes a name, label, path, URL or text of a generated file or an action is
checked here, once: names (PEP 508), versions (PEP 440), extras and groups (PEP 685),
wheel and sdist file names (their grammars, matching the package's name and version),
URLs, hashes, sizes, markers and field types. A refusal reads
`<lock>:LINE:COL: package 'x' 1.0: what is wrong; the fix`. The model keeps what the
planner needs and nothing that depends on the host:

    {
      "version": 1, "revision": 5,
      "requires_python": ">=3.10",            # "" when absent
      "resolution_markers": [...],
      "conflicts": [[{"package": ..., "kind": "extra" | "group", "name": ...}, ...]],
      "packages": [package, ...],             # in lock order
      "workspace": {"members": [...], "local_sources": [...]},  # workspace.bzl
    }

    package = {
      "name": "typing-extensions",            # PEP 503 normalized
      "version": "4.12.2",                    # "" only for local packages
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

    dep = {"name": ..., "version": "" or a pinned version, "marker": "" or text,
           "extras": [...], "source": the source's value (only when the lock names one)}
    artifact = {"filename": ..., "url": "" or URL, "path": "" or lock-relative path,
                "sha256": "" or lower-case hex, "size": int or None}

After validation, names and extras are `[a-z0-9-]`, starting with a letter or digit (so
the hub labels the planner makes of them are `[a-z0-9_]`, never starting with `_`, and
cannot collide with the hub's own `_envs`/`_markers` packages),
versions and file names hold only `[A-Za-z0-9._+!-]`, and no string holds a control
character.
"""

load(":lock_fast.bzl", "decode_uv_lock")
load(":markers.bzl", "try_parse_marker")
load(":names.bzl", "normalize_name")
load(":pep440.bzl", "try_parse_specifier", "try_parse_version")
load(":starlark_quote.bzl", "quote")
load(":text.bzl", "contains_any")
load(":toml.bzl", "decode_toml")
load(":workspace.bzl", "workspace_from_lock")

# The uv.lock format version this code reads. uv bumps `version` on incompatible
# changes and `revision` on compatible additions, so only `version` is checked.
SUPPORTED_LOCK_VERSION = 1

_SOURCE_KINDS = ["registry", "url", "path", "directory", "editable", "virtual", "git"]
_LOCAL_KINDS = ["directory", "editable", "virtual"]

_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_NAME_CHARS = _ALNUM + "._-"
_VERSION_CHARS = _ALNUM + "._-+!"
_WHEEL_NAME_CHARS = _ALNUM + "._"
_TAG_CHARS = _ALNUM + "._"
_HEX = "0123456789abcdefABCDEF"

# RFC 3986's unreserved and reserved characters and "%": a URL in a lock is ASCII.
_URL_CHARS = _ALNUM + "-._~:/?#[]@!$&'()*+,;=%"
_URL_SCHEMES = ["https://", "http://", "file://"]

# A git source may also name a repository over ssh or git's own protocol (git_source.bzl).
_GIT_URL_SCHEMES = _URL_SCHEMES + ["ssh://", "git://"]

_SDIST_EXTENSIONS = [".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar.lzma", ".tar.zst", ".tar"]

# Characters no string of the lock may hold: the C0 controls and DEL (TOML forbids them
# raw, but its escapes can still make them).
_CONTROL = [
    json.decode('"\\u00%s%s"' % ("0123456789abcdef"[c // 16], "0123456789abcdef"[c % 16]))
    for c in list(range(0, 32)) + [127]
]

_FIX = "correct the entry or re-create the lock with `uv lock`"

# A character-set check is `text.lstrip(chars)` (empty exactly when every character is
# allowed), written inline: no per-character loop, and no function call per check.

def _show(text):
    """A value for a message: 'x' when plain, else escaped (and shortened)."""
    if type(text) in ("int", "bool", "float"):
        return "%s %s" % (type(text), text)
    if type(text) != "string":
        return "a " + type(text)
    if len(text) <= 80 and not text.lstrip(_VERSION_CHARS + " /:"):
        return "'" + text + "'"
    return quote(text[:80]) + ("..." if len(text) > 80 else "")

# ---------------------------------------------------------------------------
# Positions: where a value is written, for messages
# ---------------------------------------------------------------------------

def _package_positions(positions, count):
    """Per [[package]] element: its header, its keys and its sub-tables' entries."""
    if positions == None:
        return None
    out = []
    for entry in positions:
        header = entry["header"]
        if header and header[0] == "package":
            if len(header) == 1:
                out.append({"at": (entry["line"], entry["col"]), "keys": entry["keys"], "sub": {}})
            elif out:
                out[-1]["sub"].setdefault(header[1], entry)

    # `package = [...]` written inline, or mixed forms: only the root position is known.
    return out if len(out) == count else None

def _element_at(text, at, element):
    """Where element `element` of the array value of the key at `at` starts, or None.

    Runs only for a message, so a plain character walk is fine.
    """
    lines = text.split("\n")
    line, col = at[0] - 1, at[1] - 1
    depth = 0
    count = -1
    seen_eq = False
    expect = False  # at depth 1, after "[" or ",": the next character starts an element
    for i in range(line, len(lines)):
        row = lines[i]
        skip_to = col if i == line else 0
        for k in range(len(row)):
            if k < skip_to:
                continue
            c = row[k]
            if not seen_eq:
                seen_eq = c == "="
                continue
            if c == "#":
                break
            if c == " " or c == "\t":
                continue
            if depth == 1 and c == ",":
                expect = True
                continue
            if depth == 1 and expect and c != "]":
                count += 1
                expect = False
                if count == element:
                    return (i + 1, k + 1)
            if c == "[" or c == "{":
                depth += 1
                expect = depth == 1
            elif c == "]" or c == "}":
                depth -= 1
                if depth <= 0:
                    return None
            elif c == "\"" or c == "'":
                end = row.find(c, k + 1)
                for _ in range(len(row)):
                    if c == "'" or end == -1 or row[end - 1] != "\\":
                        break
                    end = row.find(c, end + 1)
                if end == -1:
                    return None
                skip_to = end + 1
    return None

def _positions(ctx):
    """(root table's key positions, per-package positions), computed on first use.

    A lock decoded by lock_fast.bzl has no positions: the first message that needs one
    decodes the text again with decode_toml, which keeps them.
    """
    got = ctx.found
    if "root_keys" not in got:
        positions = ctx.positions
        if positions == None and ctx.reparse:
            positions = []
            decode_toml(ctx.text, ctx.filename, positions)
        got["root_keys"] = positions[0]["keys"] if positions else {}
        got["packages"] = _package_positions(positions, ctx.count)
    return got["root_keys"], got["packages"]

def _root_at(ctx, key):
    return _positions(ctx)[0].get(key, (1, 1))

def _loc(index, key = None, table = None, element = None):
    """Where a value is, resolved to a line only when a message needs it.

    The per-item paths write the tuple (index, key, table, element) inline: a call costs
    more than the tuple in Bazel 4.2.3.
    """
    return (index, key, table, element)

def _position(ctx, index, key = None, table = None, element = None):
    """(line, column) of package `index`'s `key` (in sub-table `table`), element `element`.

    Index -1 is the root table.
    """
    root_keys, packages = _positions(ctx)
    if index == -1:
        return root_keys.get(key, (1, 1))
    if packages == None:
        return root_keys.get("package", (1, 1))
    pkg = packages[index]
    at = pkg["at"]
    keys = pkg["keys"]
    if table != None:
        entry = pkg["sub"].get(table)
        if entry != None:
            at = (entry["line"], entry["col"])
            keys = entry["keys"]
        elif table in keys:
            at = keys[table]
            keys = {}
    if key != None and key in keys:
        at = keys[key]
        if element != None:
            at = _element_at(ctx.text, at, element) or at
    return at

def _refuse(ctx, loc, where, what):
    at = _position(ctx, loc[0], loc[1], loc[2], loc[3])
    fail("%s:%d:%d: %s: %s" % (ctx.filename, at[0], at[1], where, what))

# ---------------------------------------------------------------------------
# Field checks: each returns None or what is wrong
# ---------------------------------------------------------------------------

def _name_error(value, what):
    """PEP 508: letters and digits, with ".", "-", "_" inside."""
    if type(value) != "string":
        return "%s must be a string, got %s" % (what, _show(value))
    if not value or value.lstrip(_NAME_CHARS) or (value[0] + value[-1]).lstrip(_ALNUM):
        return ("%s %s is not a valid name: use letters, digits, \".\", \"-\" and \"_\", " +
                "starting and ending with a letter or digit (PEP 508)") % (what, _show(value))
    return None

def _version_error(value, what):
    if type(value) != "string":
        return "%s must be a string, got %s" % (what, _show(value))
    if value.lstrip(_VERSION_CHARS) or try_parse_version(value) == None:
        return "%s %s is not a PEP 440 version" % (what, _show(value))
    return None

def _same_version(a, b):
    if a == b:
        return True
    pa = try_parse_version(a)
    pb = try_parse_version(b)
    return pa != None and pb != None and pa["key"] == pb["key"]

def _url_error(value, schemes = _URL_SCHEMES):
    if type(value) != "string":
        return "url must be a string, got %s" % _show(value)
    if value.lstrip(_URL_CHARS):
        return ("url %s holds a character a URL cannot (whitespace, a control or " +
                "non-ASCII character, a quote or a backslash; percent-encode it)") % _show(value)
    lower = value.lower()
    for scheme in schemes:
        if lower.startswith(scheme) and len(value) > len(scheme):
            return None
    return "url %s must start with %s" % (_show(value), ", ".join(schemes[:-1]) + " or " + schemes[-1])

def _path_error(value, what):
    if type(value) != "string":
        return "%s must be a string, got %s" % (what, _show(value))
    if not value:
        return "%s is empty" % what
    if contains_any(value, _CONTROL):
        return "%s %s holds a control character" % (what, _show(value))
    return None

def _marker_error(value, cache):
    if type(value) != "string":
        return "marker must be a string, got %s" % _show(value)
    if value in cache:
        return cache[value]
    error = None
    if contains_any(value, _CONTROL):
        error = "marker %s holds a control character" % _show(value)
    else:
        _, error = try_parse_marker(value)
    cache[value] = error
    return error

def _filename_of(location):
    # The last path segment, without query or fragment; "%2B" (uv writes it for "+").
    path = location.split("#")[0].split("?")[0]
    return path.rstrip("/").split("/")[-1].replace("%2B", "+").replace("%2b", "+")

def _wheel_error(filename, name, version, seen):
    """PEP 427 wheel file name, naming `name` (normalized) at `version`.

    `seen` remembers the parts that passed: a lock repeats a package's name-version part
    in each of its wheels, and the same few tag triples across packages.
    """
    if not filename.endswith(".whl"):
        return "wheel file name %s must end in .whl" % _show(filename)
    parts = filename[:-4].split("-")
    if len(parts) not in (5, 6):
        return ("wheel file name %s is not <name>-<version>[-<build>]-<python tag>-<abi tag>-" +
                "<platform tag>.whl") % _show(filename)
    head = "%s-%s %s %s" % (parts[0], parts[1], name, version)
    tail = "-" + "-".join(parts[2:])
    if head in seen and tail in seen:
        return None
    if not parts[0] or parts[0].lstrip(_WHEEL_NAME_CHARS):
        return "wheel file name %s: invalid project name part" % _show(filename)
    if normalize_name(parts[0]) != name:
        return "wheel file name %s is not a wheel of package '%s'" % (_show(filename), name)
    if not parts[1] or parts[1].lstrip(_VERSION_CHARS) or try_parse_version(parts[1]) == None:
        return "wheel file name %s: invalid version part" % _show(filename)
    if version and not _same_version(parts[1], version):
        return "wheel file name %s is not of version %s" % (_show(filename), version)
    if len(parts) == 6 and (not parts[2] or parts[2].lstrip(_ALNUM + "_") or not parts[2][0].isdigit()):
        return "wheel file name %s: a build tag must start with a digit" % _show(filename)
    for tag in parts[-3:]:
        if not tag or tag.lstrip(_TAG_CHARS) or ".." in tag or tag[0] == "." or tag[-1] == ".":
            return "wheel file name %s: invalid tag %s" % (_show(filename), _show(tag))
    seen[head] = True
    seen[tail] = True
    return None

def _sdist_error(filename, name, version, strict):
    """`<name>-<version><ext>`; for direct URLs and paths only a plain archive name."""
    ext = None
    for candidate in _SDIST_EXTENSIONS:
        if filename.endswith(candidate):
            ext = candidate
            break
    if ext == None:
        return "sdist file name %s must end in one of %s" % (_show(filename), ", ".join(_SDIST_EXTENSIONS))
    stem = filename[:-len(ext)]
    if not stem or stem.lstrip(_VERSION_CHARS) or stem[0] == ".":
        return "sdist file name %s holds characters other than letters, digits and ._-+!" % _show(filename)
    if not strict:
        return None
    parts = stem.split("-")
    for k in range(1, len(parts)):
        # Each "-" in turn, from the left: the name before it, the version after it.
        if normalize_name("-".join(parts[:k])) == name:
            if not version or _same_version("-".join(parts[k:]), version):
                return None
            return "sdist file name %s is not of version %s" % (_show(filename), version)
    return "sdist file name %s is not <name>-<version>%s of package '%s'" % (_show(filename), ext, name)

# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------

def _source(ctx, raw, index, where):
    source = raw.get("source")
    at = (index, "source", None, None)
    if type(source) != "dict" or len(source) == 0:
        _refuse(ctx, at, where, "it has no source table (e.g. source = { registry = \"...\" }); " + _FIX)
    for kind in _SOURCE_KINDS:
        if kind in source:
            value = source[kind]
            if type(value) != "string":
                _refuse(ctx, at, where, "source.%s must be a string, got %s; %s" % (kind, _show(value), _FIX))
            if kind == "git":
                error = _url_error(value, _GIT_URL_SCHEMES)
            elif kind == "url" or (kind == "registry" and "://" in value):
                error = _url_error(value)  # once per package: not worth _artifact's inline copy
            else:
                error = _path_error(value, "source." + kind)
            if error:
                _refuse(ctx, at, where, "source: %s; %s" % (error, _FIX))
            return {"kind": kind, "value": value}
    _refuse(ctx, at, where, "its source has an unknown kind %s; rules_pyuv reads %s" % (
        _show(",".join(sorted([str(k) for k in source.keys()]))),
        ", ".join(_SOURCE_KINDS),
    ))
    return None

def _dep(ctx, raw, at, where):
    if type(raw) != "dict":
        _refuse(ctx, at, where, "a dependency must be an inline table, got %s; %s" % (_show(raw), _FIX))
    name = raw.get("name")
    name = ctx.names.get(name) if type(name) == "string" else None  # passed _name_error, normalized
    if name == None:
        error = _name_error(raw.get("name"), "dependency name")
        if error:
            _refuse(ctx, at, where, "%s; %s" % (error, _FIX))
        name = normalize_name(raw["name"])
        ctx.names[raw["name"]] = name
    version = raw.get("version", "")
    if version:
        error = _version_error(version, "version of dependency '%s'" % name)
        if error:
            _refuse(ctx, at, where, "%s; %s" % (error, _FIX))
    marker = raw.get("marker", "")
    if type(marker) == "string" and marker in ctx.markers:
        error = ctx.markers[marker]  # _marker_error's memo, without the call
    else:
        error = _marker_error(marker, ctx.markers)
    if error:
        _refuse(ctx, at, where, "dependency '%s': %s; %s" % (name, error, _FIX))
    extras = raw.get("extra", [])
    if type(extras) != "list":
        _refuse(ctx, at, where, "\"extra\" of dependency '%s' must be a list of names, got %s; %s" %
                                (name, _show(extras), _FIX))
    for extra in extras:
        error = _name_error(extra, "extra of dependency '%s'" % name)
        if error:
            _refuse(ctx, at, where, "%s; %s" % (error, _FIX))
    out = {
        "name": name,
        "version": version,
        "marker": marker,
        "extras": [normalize_name(e) for e in extras],
    }
    source = raw.get("source")
    if source != None:
        # Only compared with the sources of packages (a lock entry's identity).
        if type(source) != "dict" or len(source) != 1 or type(source.values()[0]) != "string":
            _refuse(ctx, at, where, "\"source\" of dependency '%s' must be a table with one string, got %s; %s" %
                                    (name, _show(source), _FIX))
        out["source"] = source.values()[0]
    return out

def _deps(ctx, raw, index, key, table, where):
    if type(raw) != "list":
        _refuse(ctx, _loc(index, key, table), where, "%s must be a list of inline tables, got %s; %s" %
                                                     (key, _show(raw), _FIX))
    out = []
    names = ctx.names
    for j, d in enumerate(raw):
        # The common dependency, `{ name = "x" }` with a name that passed before, without
        # _dep's call: what _dep returns for it.
        if type(d) == "dict" and len(d) == 1:
            name = d.get("name")
            name = names.get(name) if type(name) == "string" else None
            if name != None:
                out.append({"name": name, "version": "", "marker": "", "extras": []})
                continue
        out.append(_dep(ctx, d, (index, key, table, j), where))
    return out

def _dep_tables(ctx, raw, index, key, where, what):
    if raw == None:
        return {}
    if type(raw) != "dict":
        _refuse(ctx, _loc(index, key), where, "%s must be a table, got %s; %s" % (key, _show(raw), _FIX))
    out = {}
    for k, v in raw.items():
        error = _name_error(k, what)
        if error:
            _refuse(ctx, _loc(index, k, key), where, "%s: %s; %s" % (key, error, _FIX))
        out[normalize_name(k)] = _deps(ctx, v, index, k, key, where)
    return out

def _artifact(ctx, raw, at, where, pkg, source, what):
    if type(raw) != "dict":
        _refuse(ctx, at, where, "%s must be an inline table, got %s; %s" % (what, _show(raw), _FIX))
    url = raw.get("url", "")
    path = raw.get("path", "")

    # The common case (an https or http URL of plain characters, its scheme lower-case)
    # passes without _url_error's call.
    if url != "" and not (type(url) == "string" and not url.lstrip(_URL_CHARS) and
                          ((url.startswith("https://") and len(url) > 8) or
                           (url.startswith("http://") and len(url) > 7))):
        error = _url_error(url)
        if error:
            _refuse(ctx, at, where, "%s %s; %s" % (what, error, _FIX))
    if path != "":
        error = _path_error(path, what + " path")
        if error:
            _refuse(ctx, at, where, "%s; %s" % (error, _FIX))
    if not url and not path:
        # A direct-URL or path source names the location once, on the source.
        if source["kind"] == "url":
            url = source["value"]
        elif source["kind"] == "path":
            path = source["value"]
        else:
            _refuse(ctx, at, where, "%s has neither url nor path; %s" % (what, _FIX))
    digest = raw.get("hash", "")
    if type(digest) != "string":
        _refuse(ctx, at, where, "%s hash must be a string, got %s; %s" % (what, _show(digest), _FIX))
    sha256 = ""
    if digest:
        algorithm, _, value = digest.partition(":")
        if algorithm != "sha256" or len(value) != 64 or value.lstrip(_HEX):
            _refuse(ctx, at, where, "%s hash %s is not \"sha256:<64 hex digits>\"; %s" % (what, _show(digest), _FIX))
        sha256 = value.lower()
    size = raw.get("size")
    if size != None and (type(size) != "int" or size < 0):
        _refuse(ctx, at, where, "%s size must be a non-negative integer, got %s; %s" % (what, _show(size), _FIX))
    filename = raw.get("filename")
    if filename == None:
        location = url or path

        # The common case (no query, fragment, trailing "/" or escape) without the call.
        if "?" in location or "#" in location or "%" in location or location.endswith("/"):
            filename = _filename_of(location)
        else:
            filename = location[location.rfind("/") + 1:]
    elif type(filename) != "string":
        _refuse(ctx, at, where, "%s filename must be a string, got %s; %s" % (what, _show(filename), _FIX))
    if what == "wheel":
        error = _wheel_error(filename, pkg["name"], pkg["version"], ctx.seen)
    else:
        error = _sdist_error(filename, pkg["name"], pkg["version"], source["kind"] == "registry")
    if error:
        _refuse(ctx, at, where, "%s; %s" % (error, _FIX))
    return {
        "filename": filename,
        "url": url,
        "path": path,
        "sha256": sha256,
        "size": size,
    }

def _markers(ctx, raw, at, where, key):
    if type(raw) != "list":
        _refuse(ctx, at, where, "%s must be a list of markers, got %s; %s" % (key, _show(raw), _FIX))
    for m in raw:
        error = _marker_error(m, ctx.markers)
        if error:
            _refuse(ctx, at, where, "%s: %s; %s" % (key, error, _FIX))
    return raw

def _package(ctx, raw, index):
    where = "package #%d" % (index + 1)
    at = (index, None, None, None)
    if type(raw) != "dict":
        _refuse(ctx, at, where, "[[package]] must be a table; " + _FIX)
    name = raw.get("name")
    if name == None:
        _refuse(ctx, at, where, "it has no name; " + _FIX)
    error = _name_error(name, "name")
    if error:
        _refuse(ctx, _loc(index, "name"), where, "%s; %s" % (error, _FIX))
    where = "package '%s'" % name
    source = _source(ctx, raw, index, where)
    local = source["kind"] in _LOCAL_KINDS

    # Workspace members may have a dynamic version and then record none.
    version = raw.get("version", "")
    if version != "" or not local:
        error = _version_error(version, "version") if "version" in raw else "it has no version"
        if error:
            _refuse(ctx, _loc(index, "version"), where, "%s; %s" % (error, _FIX))
        where = "package '%s' %s" % (name, version)
    pkg = {"name": normalize_name(name), "version": version}
    sdist = raw.get("sdist")
    wheels = raw.get("wheels", [])
    if type(wheels) != "list":
        _refuse(ctx, _loc(index, "wheels"), where, "wheels must be a list, got %s; %s" % (_show(wheels), _FIX))
    parsed_wheels = []
    seen = {}
    for j, w in enumerate(wheels):
        at = (index, "wheels", None, j)
        wheel = _artifact(ctx, w, at, where, pkg, source, "wheel")
        if wheel["filename"] in seen:
            _refuse(ctx, at, where, "wheel %s is listed twice; %s" % (_show(wheel["filename"]), _FIX))
        seen[wheel["filename"]] = True
        parsed_wheels.append(wheel)
    return {
        "name": pkg["name"],
        "version": version,
        "source": source,
        "local": local,
        "resolution_markers": _markers(
            ctx,
            raw.get("resolution-markers", []),
            (index, "resolution-markers", None, None),
            where,
            "resolution-markers",
        ),
        "dependencies": _deps(ctx, raw.get("dependencies", []), index, "dependencies", None, where),
        "optional_dependencies": _dep_tables(
            ctx,
            raw.get("optional-dependencies"),
            index,
            "optional-dependencies",
            where,
            "extra",
        ),
        "dev_dependencies": _dep_tables(
            ctx,
            raw.get("dev-dependencies"),
            index,
            "dev-dependencies",
            where,
            "dependency group",
        ),
        "sdist": _artifact(ctx, sdist, (index, "sdist", None, None), where, pkg, source, "sdist") if sdist != None else None,
        "wheels": parsed_wheels,
    }

def _conflicts(ctx, raw):
    """`conflicts = [[{package, extra | group}, ...], ...]`: sets that exclude each other."""
    at = _loc(-1, "conflicts")
    what = "conflicts must be a list of sets, each a list of { package, extra } or { package, group } tables"
    if type(raw) != "list":
        _refuse(ctx, at, "conflicts", "%s, got %s; %s" % (what, _show(raw), _FIX))
    sets = []
    for items in raw:
        if type(items) != "list":
            _refuse(ctx, at, "conflicts", "%s, got %s; %s" % (what, _show(items), _FIX))
        out = []
        for item in items:
            if type(item) != "dict" or "package" not in item or len(item) != 2 or not ("extra" in item or "group" in item):
                _refuse(ctx, at, "conflicts", "%s, got %s; %s" % (what, _show(item), _FIX))
            kind = "extra" if "extra" in item else "group"
            for key in ("package", kind):
                error = _name_error(item[key], "conflict " + key)
                if error:
                    _refuse(ctx, at, "conflicts", "%s; %s" % (error, _FIX))
            out.append({"package": normalize_name(item["package"]), "kind": kind, "name": normalize_name(item[kind])})
        if out:
            sets.append(out)
    return sets

def _requires_python(ctx, value):
    at = _loc(-1, "requires-python")
    if type(value) != "string":
        _refuse(ctx, at, "requires-python", "must be a string, got %s; %s" % (_show(value), _FIX))
    for item in value.split(","):
        item = item.strip(" \t")
        if item and try_parse_specifier(item) == None:
            _refuse(ctx, at, "requires-python", "%s is not a PEP 440 specifier; %s" % (_show(item), _FIX))
    return value

def lock_from_toml(doc, filename, positions = None, text = ""):
    """Builds the lock model from a decoded uv.lock document, validating every field.

    Args:
      doc: the dict decode_toml returned.
      filename: the lock's name for error messages.
      positions: the positions decode_toml filled in, for messages; None gives line 1.
      text: the lock's text, to locate array elements in messages.

    Returns:
      The lock model (see the module docstring).
    """
    return _lock_model(doc, filename, positions, text, False)

def _lock_model(doc, filename, positions, text, reparse):
    raw_packages = doc.get("package", [])
    ctx = struct(
        filename = filename,
        text = text,
        positions = positions,
        reparse = reparse,  # positions == None: decode `text` again for the first message
        found = {},
        count = len(raw_packages) if type(raw_packages) == "list" else 0,
        markers = {},
        names = {},  # dependency name as written -> normalized, once it passed _name_error
        seen = {},  # parts of wheel file names that passed _wheel_error
    )
    version = doc.get("version")
    if version == None:
        fail("%s:1:1: not a uv.lock: no top-level \"version\"" % filename)
    at = _root_at(ctx, "version") if type(version) != "int" or version != SUPPORTED_LOCK_VERSION else None
    if type(version) != "int":
        fail("%s:%d:%d: \"version\" must be an integer, got %s" % (filename, at[0], at[1], _show(version)))
    if version > SUPPORTED_LOCK_VERSION:
        fail(("%s:%d:%d: uv.lock version %d is newer than this rules_pyuv understands (%d); " +
              "upgrade rules_pyuv, or lock with a uv release that writes version %d") %
             (filename, at[0], at[1], version, SUPPORTED_LOCK_VERSION, SUPPORTED_LOCK_VERSION))
    if version < SUPPORTED_LOCK_VERSION:
        fail("%s:%d:%d: uv.lock version %d is too old; re-lock it with a current uv (`uv lock`)" %
             (filename, at[0], at[1], version))
    if type(raw_packages) != "list":
        at = _root_at(ctx, "package")
        fail("%s:%d:%d: \"package\" must be an array of tables ([[package]])" % (filename, at[0], at[1]))
    packages = [_package(ctx, p, i) for i, p in enumerate(raw_packages)]
    conflicts = _conflicts(ctx, doc.get("conflicts", []))
    seen = {}
    for i, pkg in enumerate(packages):
        key = pkg["name"] + " " + pkg["version"]
        if conflicts and key in seen and seen[key]["value"] != pkg["source"]["value"]:
            # One version from two indexes, one per side of a conflict (torch's +cpu/+cu12x
            # indexes): the variant decides (variants.bzl).
            key += " " + pkg["source"]["value"]
        if key in seen and not pkg["local"]:
            _refuse(ctx, _loc(i), "package '%s' %s" % (pkg["name"], pkg["version"]), (
                "it is locked twice (sources %s and %s); rules_pyuv needs one source per " +
                "package version; re-create the lock with `uv lock`"
            ) % (_show(seen[key]["value"]), _show(pkg["source"]["value"])))
        seen[key] = pkg["source"]
    markers = doc.get("resolution-markers", [])
    _markers(ctx, markers, _loc(-1, "resolution-markers"), "resolution-markers", "resolution-markers")
    revision = doc.get("revision", 0)
    if type(revision) != "int":
        at = _root_at(ctx, "revision")
        fail("%s:%d:%d: \"revision\" must be an integer, got %s" % (filename, at[0], at[1], _show(revision)))
    return {
        "version": version,
        "revision": revision,
        "requires_python": _requires_python(ctx, doc.get("requires-python", "")),
        "resolution_markers": markers,
        "conflicts": conflicts,
        "packages": packages,
        "workspace": workspace_from_lock(doc, packages, filename),
    }

def parse_lock(text, filename):
    """Parses and validates the text of a uv.lock.

    Args:
      text: the file's content.
      filename: the lock's name (or label) for error messages.

    Returns:
      The lock model (see the module docstring).
    """
    doc = decode_uv_lock(text)
    if doc != None:
        return _lock_model(doc, filename, None, text, True)
    positions = []
    doc = decode_toml(text, filename, positions)
    return _lock_model(doc, filename, positions, text, False)
