"""Repository rule for one artifact file (wheel or sdist) of a lock, and its arguments.

Hubs reach these repositories only through select(), so Bazel fetches a file only when a
build for some target platform needs it. The file keeps its name (wheel tags live there)
and is checked against the lock's sha256, whether it comes from a URL or a local path.

The lock is untrusted input (docs/security.md): it decides which URL is fetched, but not
where credentials go. netrc credentials are sent only over https (plain http only to a
loopback host, for tests), only to the host of the package's own index or to hosts the
user lists, and only for downloads that carry the lock's sha256. The netrc `default`
entry is used only when the user opts in, and only for hosts the user lists.
"""

load("@bazel_tools//tools/build_defs/repo:utils.bzl", "read_netrc")
load(":starlark_quote.bzl", "quote")

def _is_loopback(host):
    # localhost, [::1] and the IPv4 loopback block 127.0.0.0/8 (as a literal address).
    if host in ("localhost", "[::1]"):
        return True
    parts = host.split(".")
    return len(parts) == 4 and parts[0] == "127" and all([p.isdigit() and len(p) <= 3 for p in parts])

# Characters a file: URL must not hold literally (RFC 3986), escaped in file_url().
_URL_ESCAPES = [
    ("%", "%25"),
    (" ", "%20"),
    ("\"", "%22"),
    ("#", "%23"),
    ("<", "%3C"),
    (">", "%3E"),
    ("?", "%3F"),
    ("[", "%5B"),
    ("\\", "%5C"),
    ("]", "%5D"),
    ("^", "%5E"),
    ("`", "%60"),
    ("{", "%7B"),
    ("|", "%7C"),
    ("}", "%7D"),
]

def url_host(url):
    """Returns (scheme, host) of a URL, both lower-cased, or None when it has none.

    A URL carrying user information (`user@host`) returns None: credentials are never
    added to one.

    Args:
      url: an absolute URL.

    Returns:
      A (scheme, host) tuple, the host without port (IPv6 hosts keep their brackets),
      or None.
    """
    scheme, sep, rest = url.partition("://")
    if not sep or not scheme:
        return None
    authority = rest.split("/")[0].split("?")[0].split("#")[0]
    if "@" in authority or not authority:
        return None
    if authority.startswith("["):
        host = authority[:authority.find("]") + 1]
    else:
        host = authority.split(":")[0]
    if not host:
        return None
    return (scheme.lower(), host.lower())

def file_url(path):
    """Returns the file: URL of an absolute path, so Bazel's downloader can hash-check it.

    Args:
      path: an absolute path ("/x/y.whl" or "C:/x/y.whl").

    Returns:
      "file:///x/y.whl".
    """
    for char, escape in _URL_ESCAPES:
        path = path.replace(char, escape)
    return "file://" + (path if path.startswith("/") else "/" + path)

def uv_artifact_kwargs(artifact, attrs):
    """Maps a planned artifact and the front door's attributes to uv_artifact's arguments.

    The one place both front doors (the bzlmod extension and the hub's repositories.bzl
    under WORKSPACE) get them from, so they behave the same.

    Args:
      artifact: an artifact of the plan (planner.bzl), with "path" made absolute and
        checked by plan_lock, and "lockfile".
      attrs: the front door's attributes (struct-like): netrc, auth_patterns,
        credential_hosts, netrc_default.

    Returns:
      A dict of keyword arguments for uv_artifact.
    """
    hosts = {h.lower(): True for h in attrs.credential_hosts}
    registry = url_host(artifact["registry"]) if artifact.get("registry") else None
    if registry:
        hosts[registry[1]] = True
    return {
        "name": artifact["repo"],
        "filename": artifact["filename"],
        "urls": [artifact["url"]] if artifact["url"] else [],
        "path": artifact["path"],
        "sha256": artifact["sha256"],
        "package": artifact["package"],
        "version": artifact["version"],
        "lockfile": artifact["lockfile"],
        "netrc": attrs.netrc,
        "auth_patterns": attrs.auth_patterns,
        "credential_hosts": sorted(hosts),
        "netrc_default_hosts": sorted([h.lower() for h in attrs.credential_hosts]) if attrs.netrc_default else [],
    }

def _netrc_path(rctx):
    if rctx.attr.netrc:
        return rctx.attr.netrc
    env = rctx.os.environ
    if env.get("NETRC"):
        return env["NETRC"]
    home = env.get("HOME") or env.get("USERPROFILE")
    if home:
        candidate = home + "/.netrc"
        if rctx.path(candidate).exists:
            return candidate
    return None

def _auth(rctx, urls):
    """Credentials for the URLs that may carry them (see the module docstring).

    Credentials come from the user's netrc at fetch time; none is ever written into a
    generated file.
    """
    allowed = {h: True for h in rctx.attr.credential_hosts}
    default_hosts = {h: True for h in rctx.attr.netrc_default_hosts}
    wanted = []
    for url in urls:
        parsed = url_host(url)
        if not parsed:
            continue
        scheme, host = parsed
        secure = scheme == "https" or (scheme == "http" and _is_loopback(host))
        if secure and host in allowed:
            wanted.append((url, host))
    if not wanted:
        return {}
    netrc_file = _netrc_path(rctx)
    if not netrc_file:
        return {}
    netrc = read_netrc(rctx, netrc_file)
    machines = {k.lower(): v for k, v in netrc.items() if k}
    auth = {}
    for url, host in wanted:
        entry = machines.get(host)
        if entry == None and host in default_hosts:
            entry = netrc.get("")
        if entry == None:
            continue
        pattern = rctx.attr.auth_patterns.get(host)
        if pattern:
            auth[url] = {"type": "pattern", "pattern": pattern}
            for key in ("login", "password"):
                if key in entry:
                    auth[url][key] = entry[key]
        elif "login" in entry and "password" in entry:
            auth[url] = {"type": "basic", "login": entry["login"], "password": entry["password"]}
    return auth

def _what(rctx):
    return "%s (%s %s, from %s)" % (
        rctx.attr.filename,
        rctx.attr.package,
        rctx.attr.version,
        rctx.attr.lockfile,
    )

def _fetch_path(rctx, filename):
    path = rctx.attr.path
    if not rctx.path(path).exists:
        fail("rules_pyuv: %s: %s does not exist" % (_what(rctx), path))

    # Copied through the downloader, which checks the lock's sha256 like for a URL.
    result = rctx.download(
        url = [file_url(path)],
        output = filename,
        sha256 = rctx.attr.sha256,
        allow_fail = True,
    )
    if not result.success:
        fail(("rules_pyuv: could not copy %s from %s with the lock's sha256 %s: the file " +
              "is not a readable regular file, or it changed since the lock was made (re-lock " +
              "with `uv lock`).\n%s") %
             (_what(rctx), path, rctx.attr.sha256 or "(none)", getattr(result, "error", "")))

def _fetch_url(rctx, filename):
    urls = rctx.attr.urls
    if not rctx.attr.sha256:
        # The planner refuses this too; the check here keeps credentials from ever
        # travelling with a download whose content is not pinned.
        fail("rules_pyuv: %s has no sha256; rules_pyuv only downloads hashed files" % _what(rctx))
    rctx.report_progress("Fetching " + filename)
    result = rctx.download(
        url = urls,
        output = filename,
        sha256 = rctx.attr.sha256,
        auth = _auth(rctx, urls),
        allow_fail = True,
    )
    if not result.success:
        fail(("rules_pyuv: could not fetch %s from %s with the lock's sha256 %s. If the " +
              "index now serves a different file, re-lock it (`uv lock --refresh-package " +
              "%s`); for a private index, put its credentials in ~/.netrc (or $NETRC) and " +
              "fetch it over https (credentials go only to the hosts of the lock's " +
              "registries and to credential_hosts; see docs/security.md).\n%s") %
             (
                 _what(rctx),
                 ", ".join(urls),
                 rctx.attr.sha256,
                 rctx.attr.package,
                 getattr(result, "error", ""),
             ))

def write_file_repository(rctx, filename, comment):
    """Writes the WORKSPACE and BUILD files of a repository that holds one file as `:file`.

    Args:
      rctx: the repository context.
      filename: the file's name in the repository; lock text, so written quoted.
      comment: fixed comment lines ("# ...\n") that open the BUILD file.
    """

    # Fixed text only: lock text reaches generated files as quoted string literals.
    rctx.file("WORKSPACE", "workspace(name = %s)\n" % quote(rctx.name), executable = False)
    rctx.file("BUILD.bazel", comment + """\
package(default_visibility = ["//visibility:public"])

filegroup(
    name = "file",
    srcs = [{filename}],
)
""".format(filename = quote(filename)), executable = False)

def _uv_artifact_impl(rctx):
    filename = rctx.attr.filename
    if "/" in filename or "\\" in filename or filename in ("", ".", ".."):
        fail("rules_pyuv: artifact file name \"%s\" of %s %s is not a plain file name" %
             (filename, rctx.attr.package, rctx.attr.version))
    if rctx.attr.path and rctx.attr.urls:
        fail("rules_pyuv: %s has both a path and URLs; give one" % _what(rctx))
    if rctx.attr.path:
        _fetch_path(rctx, filename)
    elif rctx.attr.urls:
        _fetch_url(rctx, filename)
    else:
        fail("rules_pyuv: %s has neither a URL nor a path" % _what(rctx))

    write_file_repository(rctx, filename, "# Generated by rules_pyuv: one artifact file of a lock.\n")

uv_artifact = repository_rule(
    implementation = _uv_artifact_impl,
    doc = "Downloads (or copies) one wheel or sdist of a lock, hash-checked, as `:file`.",
    attrs = {
        "auth_patterns": attr.string_dict(
            doc = "Authorization header patterns per host, as in http_archive.",
        ),
        "credential_hosts": attr.string_list(
            doc = "Hosts (lower case, no port) that may receive netrc credentials.",
        ),
        "filename": attr.string(mandatory = True, doc = "The artifact's file name."),
        "lockfile": attr.string(doc = "The lock's label, for messages."),
        "netrc": attr.string(doc = "netrc file with credentials; default $NETRC or ~/.netrc."),
        "netrc_default_hosts": attr.string_list(
            doc = "Hosts that may receive the netrc `default` entry's credentials.",
        ),
        "package": attr.string(doc = "The package the file belongs to, for messages."),
        "path": attr.string(doc = "Absolute path of a local artifact instead of urls."),
        "sha256": attr.string(doc = "Expected sha256 from the lock (required for urls)."),
        "urls": attr.string_list(doc = "Where to download the file."),
        "version": attr.string(doc = "The package version, for messages."),
    },
    environ = ["NETRC", "HOME"],
)
