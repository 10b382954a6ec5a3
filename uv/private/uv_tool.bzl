"""Repository rule: the uv binary for the host, from its wheel on a PEP 503 index.

uv runs on the developer's (or CI's) machine, so the wheel is chosen for the host Bazel
runs on, never for a target platform. The index's file host is not written anywhere: the
rule reads `<index>/uv/`, the index the user names or the registry of their uv.lock, and
takes the file whose name fits the host and whose `#sha256=` is the hash pinned for it;
the download is checked against that hash again.
"""

load("@bazel_tools//tools/build_defs/repo:utils.bzl", "read_netrc")
load(":artifact.bzl", "url_host")
load(":starlark_quote.bzl", "quote")
load(":toml.bzl", "decode_toml")
load(":uv_tool_select.bzl", "HOST_KEYS", "host_key", "host_os", "parse_simple_page", "registry_of_lock", "wheel_fits")
load(":uv_tool_versions.bzl", "DEFAULT_UV_SHA256S", "DEFAULT_UV_VERSION")

_RUN_RULES = str(Label("//uv/private:uv_run.bzl"))

def _fail(rctx, message):
    fail("rules_pyuv: uv tool @%s (uv %s): %s" % (rctx.name, rctx.attr.version, message))

def _host_cpu(rctx, os):
    # The CPU as the OS reports it (what the binary must run on): uname on Unix,
    # PROCESSOR_ARCHITECTURE on Windows.
    if os == "windows":
        return rctx.os.environ.get("PROCESSOR_ARCHITECTURE", "")
    result = rctx.execute(["uname", "-m"])
    if result.return_code != 0:
        _fail(rctx, "could not tell this host's CPU: `uname -m` failed: " + result.stderr)
    return result.stdout.strip()

def _detect_host(rctx):
    musl = False
    os = host_os(rctx.os.name)
    cpu = _host_cpu(rctx, os) if os else ""
    if os == "linux":
        # musl's dynamic loader is the one file every musl system has (glibc's is ld-linux).
        for loader in ("/lib/ld-musl-x86_64.so.1", "/lib/ld-musl-aarch64.so.1"):
            if rctx.path(loader).exists:
                musl = True
    key = host_key(rctx.os.name, cpu, musl)
    if not key:
        _fail(rctx, "no uv wheel is known for this host (os %s, cpu %s); rules_pyuv knows %s" %
                    (rctx.os.name, cpu, ", ".join(HOST_KEYS)))
    return key

def _index_url(rctx):
    if rctx.attr.index_url:
        return rctx.attr.index_url, "index_url"
    if rctx.attr.lockfile:
        text = rctx.read(rctx.path(rctx.attr.lockfile))
        registry = registry_of_lock(decode_toml(text, str(rctx.attr.lockfile)))
        if registry:
            return registry, "the registry of %s" % rctx.attr.lockfile
        _fail(rctx, ("%s names no registry to fetch uv from; set index_url (the PEP 503 " +
                     "simple index that serves uv's wheels)") % rctx.attr.lockfile)
    _fail(rctx, "no index to fetch uv from: set index_url (a PEP 503 simple index that " +
                "serves uv's wheels, e.g. your mirror) or lockfile (its registry is used)")
    return None, None

def _auth(rctx, urls, index_url):
    """netrc credentials for the index's own host only, over https (or http to loopback)."""
    index = url_host(index_url)
    if not index:
        return {}
    netrc_file = rctx.attr.netrc or rctx.os.environ.get("NETRC")
    if not netrc_file:
        home = rctx.os.environ.get("HOME") or rctx.os.environ.get("USERPROFILE")
        if home and rctx.path(home + "/.netrc").exists:
            netrc_file = home + "/.netrc"
    if not netrc_file:
        return {}
    entry = {k.lower(): v for k, v in read_netrc(rctx, netrc_file).items() if k}.get(index[1])
    if not entry or "login" not in entry or "password" not in entry:
        return {}
    auth = {}
    for url in urls:
        parsed = url_host(url)
        if not parsed or parsed[1] != index[1]:
            continue
        if parsed[0] == "https" or (parsed[0] == "http" and parsed[1] in ("127.0.0.1", "localhost", "[::1]")):
            auth[url] = {"type": "basic", "login": entry["login"], "password": entry["password"]}
    return auth

def _choose(rctx, files, key, sha256, page):
    fitting = [f for f in files if wheel_fits(f["filename"], rctx.attr.version, key)]
    for f in fitting:
        if f["sha256"] == sha256:
            return f
    unhashed = [f for f in fitting if not f["sha256"]]
    if len(unhashed) == 1:
        # The page gives no hash: the download below still checks the pinned one.
        return unhashed[0]
    if fitting:
        found = "; ".join(["%s (sha256 %s)" % (f["filename"], f["sha256"] or "not given") for f in fitting])
    else:
        found = "none (the page lists %d files)" % len(files)
    _fail(rctx, ("no wheel on %s fits this host (%s) with the pinned sha256 %s. Wheels of " +
                 "uv %s for this host there: %s. Pin the sha256 of the wheel you trust in " +
                 "sha256s[\"%s\"] (or pick a version the index serves).") %
                (page, key, sha256, rctx.attr.version, found, key))
    return None

def _uv_tool_repo_impl(rctx):
    version = rctx.attr.version
    sha256s = rctx.attr.sha256s
    if not sha256s:
        if version != DEFAULT_UV_VERSION:
            _fail(rctx, ("rules_pyuv pins hashes for uv %s only; give sha256s (host key -> " +
                         "sha256 of uv's wheel for that host, keys %s) for version %s") %
                        (DEFAULT_UV_VERSION, ", ".join(HOST_KEYS), version))
        sha256s = DEFAULT_UV_SHA256S
    for k in sha256s:
        if k not in HOST_KEYS:
            _fail(rctx, "sha256s has unknown host key \"%s\"; known: %s" % (k, ", ".join(HOST_KEYS)))
    key = _detect_host(rctx)
    sha256 = sha256s.get(key, "").lower()
    if not sha256:
        _fail(rctx, "no sha256 is pinned for this host (%s); add sha256s[\"%s\"] = <sha256 of uv's wheel for it>" %
                    (key, key))

    index_url, index_from = _index_url(rctx)
    page = index_url.rstrip("/") + "/uv/"
    rctx.report_progress("Reading " + page)
    result = rctx.download(
        url = [page],
        output = "simple.html",
        auth = _auth(rctx, [page], index_url),
        allow_fail = True,
    )
    if not result.success:
        # Bazel downloads a file without a checksum (this page) only over https.
        _fail(rctx, ("could not read %s (%s); the index must be reachable over https, since " +
                     "Bazel fetches unhashed files such as this page only over https%s") %
                    (page, index_from, (": " + result.error) if getattr(result, "error", "") else ""))
    files = parse_simple_page(rctx.read("simple.html"), page)
    rctx.delete("simple.html")
    chosen = _choose(rctx, files, key, sha256, page)

    rctx.report_progress("Fetching " + chosen["filename"])
    result = rctx.download_and_extract(
        url = [chosen["url"]],
        output = "wheel",
        sha256 = sha256,
        type = "zip",
        auth = _auth(rctx, [chosen["url"]], index_url),
        allow_fail = True,
    )
    if not result.success:
        _fail(rctx, ("could not fetch %s with the pinned sha256 %s (the file differs from " +
                     "the one pinned for %s, or the download failed): %s") %
                    (chosen["url"], sha256, key, getattr(result, "error", "")))

    exe = "uv.exe" if key.startswith("windows") else "uv"
    binary = "wheel/uv-%s.data/scripts/%s" % (version, exe)
    if not rctx.path(binary).exists:
        _fail(rctx, "%s holds no %s; is it uv's wheel?" % (chosen["filename"], binary))

    rctx.file("WORKSPACE", "workspace(name = %s)\n" % quote(rctx.name))
    rctx.file("BUILD.bazel", """\
# Generated by rules_pyuv: uv {version} for this host ({key}), from {filename}.
load({rules}, "uv_run")

package(default_visibility = ["//visibility:public"])

# The binary itself, e.g. for uv_lock_test.
filegroup(
    name = "uv_bin",
    srcs = [{binary}],
)

# `bazel run @{name}//:uv -- <uv arguments>` runs uv in the workspace root.
uv_run(
    name = "uv",
    uv = ":uv_bin",
)
""".format(
        version = version,
        key = key,
        filename = chosen["filename"],
        rules = quote(_RUN_RULES),
        binary = quote(binary),
        name = rctx.name,
    ))

uv_tool_repo = repository_rule(
    implementation = _uv_tool_repo_impl,
    doc = "uv for the host, from its wheel on a PEP 503 index, checked against a pinned sha256.",
    attrs = {
        "index_url": attr.string(
            doc = "PEP 503 simple index serving uv's wheels (its page `<index_url>/uv/` is read). " +
                  "Default: the registry of `lockfile`.",
        ),
        "lockfile": attr.label(
            allow_single_file = True,
            doc = "A uv.lock whose registry is the index to use when index_url is not set.",
        ),
        "netrc": attr.string(doc = "netrc file with the index's credentials; default $NETRC or ~/.netrc."),
        "sha256s": attr.string_dict(
            doc = "sha256 of uv's wheel per host key (linux_x86_64_gnu, macos_aarch64, ...). " +
                  "Default: rules_pyuv's pins for its default version.",
        ),
        "version": attr.string(default = DEFAULT_UV_VERSION, doc = "The uv version."),
    },
    environ = ["NETRC", "HOME"],
)

# The repository `@rules_pyuv//uv:uv` and uv_lock_test point at.
UV_TOOL_REPO = "rules_pyuv_uv"

def uv_tool(name = UV_TOOL_REPO, **kwargs):
    """Declares the pinned uv for the host (WORKSPACE); `bazel run @rules_pyuv//uv:uv` runs it.

    Keep the default name: `@rules_pyuv//uv:uv` and uv_lock_test use `@rules_pyuv_uv`.

    Args:
      name: the repository name.
      **kwargs: version, sha256s (host key -> sha256 of uv's wheel), index_url (PEP 503
        index serving uv), lockfile (a uv.lock whose registry is the index when index_url
        is not set), netrc. See uv_tool_repo.
    """
    uv_tool_repo(name = name, **kwargs)
