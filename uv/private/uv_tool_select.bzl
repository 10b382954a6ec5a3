"""Choosing uv's wheel for the host: host keys, wheel tags, the index's simple page.

Pure functions (no repository_ctx), so the Starlark tests can run them directly. The
simple page is untrusted input: it only says where a file is; the file must still carry
the sha256 the user pinned for the host.
"""

# Host keys: "<os>_<cpu>" plus "_gnu"/"_musl" on Linux.
HOST_KEYS = [
    "linux_aarch64_gnu",
    "linux_aarch64_musl",
    "linux_x86_64_gnu",
    "linux_x86_64_musl",
    "macos_aarch64",
    "macos_x86_64",
    "windows_aarch64",
    "windows_x86_64",
]

_CPUS = {
    "aarch64": "aarch64",
    "amd64": "x86_64",
    "arm64": "aarch64",
    "x64": "x86_64",
    "x86_64": "x86_64",
}

def host_os(os_name):
    """Returns "linux", "macos", "windows" or None for repository_ctx.os.name.

    Args:
      os_name: e.g. "linux", "mac os x", "windows 10".

    Returns:
      The OS part of a host key, or None when rules_pyuv has no uv for it.
    """
    name = os_name.lower()
    if name.startswith("linux"):
        return "linux"
    if name.startswith("mac os") or name.startswith("darwin"):
        return "macos"
    if name.startswith("windows"):
        return "windows"
    return None

def host_key(os_name, arch, musl = False):
    """Returns the host key (e.g. "linux_x86_64_gnu"), or None for an unsupported host.

    Args:
      os_name: repository_ctx.os.name.
      arch: the host's CPU as uname or Windows name it (e.g. "x86_64", "AMD64", "arm64").
      musl: whether the Linux host's C library is musl.

    Returns:
      One of HOST_KEYS, or None.
    """
    os = host_os(os_name)
    cpu = _CPUS.get(arch.lower())
    if not os or not cpu:
        return None
    if os == "linux":
        return "linux_%s_%s" % (cpu, "musl" if musl else "gnu")
    return "%s_%s" % (os, cpu)

def _platform_fits(platform, key):
    parts = key.split("_")
    os = parts[0]
    cpu = parts[1] + ("_" + parts[2] if parts[1] == "x86" else "")
    if os == "linux":
        libc = parts[-1]
        prefix = "manylinux" if libc == "gnu" else "musllinux_"
        return platform.startswith(prefix) and platform.endswith("_" + cpu)
    if os == "macos":
        if not platform.startswith("macosx_"):
            return False
        return platform.endswith("_universal2") or platform.endswith(
            "_x86_64" if cpu == "x86_64" else "_arm64",
        )
    if os == "windows":
        return platform == ("win_amd64" if cpu == "x86_64" else "win_arm64")
    return False

def wheel_fits(filename, version, key):
    """Whether `filename` is a wheel of uv `version` that runs on host `key`.

    Args:
      filename: a file name from the index, e.g.
        "uv-0.13.8-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl".
      version: the uv version wanted.
      key: a host key.

    Returns:
      True when the name, version and one of the platform tags fit.
    """
    if not filename.endswith(".whl"):
        return False
    parts = filename[:-len(".whl")].split("-")
    if len(parts) not in (5, 6) or parts[0].lower() != "uv" or parts[1] != version:
        return False
    for platform in parts[-1].split("."):
        if _platform_fits(platform, key):
            return True
    return False

def _unescape(text):
    # The entities a PEP 503 page uses in names and URLs; &amp; last.
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&")):
        text = text.replace(entity, char)
    return text

def _attr_value(tag, lower, name):
    pos = lower.find(" " + name + "=")
    if pos < 0:
        pos = lower.find("\n" + name + "=")
    if pos < 0:
        return None
    start = pos + len(name) + 2
    quote = tag[start:start + 1]
    if quote in ("\"", "'"):
        end = tag.find(quote, start + 1)
        return tag[start + 1:end] if end >= 0 else None
    end = start
    for _ in range(len(tag)):
        if end >= len(tag) or tag[end] in " \t\n>":
            break
        end += 1
    return tag[start:end]

def _normalize_path(path):
    out = []
    for segment in path.split("/"):
        if segment == "..":
            if len(out) > 1:
                out.pop()
        elif segment != ".":
            out.append(segment)
    return "/".join(out)

def join_url(base, href):
    """Resolves `href` against the page URL `base` (RFC 3986, the cases a simple page uses).

    Args:
      base: the absolute URL of the page, e.g. "http://127.0.0.1:8080/simple/uv/".
      href: absolute, scheme-relative, root-relative or relative reference.

    Returns:
      An absolute URL (a fragment is kept).
    """
    if "://" in href.split("#")[0].split("?")[0]:
        return href
    scheme, _, rest = base.partition("://")
    authority = rest.split("/")[0]
    if href.startswith("//"):
        return scheme + ":" + href
    if href.startswith("/"):
        return scheme + "://" + authority + href
    path = rest[len(authority):].split("?")[0].split("#")[0]
    directory = path[:path.rfind("/") + 1] if "/" in path else "/"
    main, hash_sign, fragment = href.partition("#")
    return scheme + "://" + authority + _normalize_path(directory + main) + hash_sign + fragment

def parse_simple_page(text, page_url):
    """Returns the files of a PEP 503 simple page.

    Args:
      text: the page's HTML.
      page_url: its URL, to resolve relative links.

    Returns:
      A list of dicts: filename, url (without the fragment), sha256 (lower-case hex, or
      "" when the link carries none).
    """
    files = []
    lower = text.lower()
    pos = 0
    for _ in range(len(text)):
        start = lower.find("<a", pos)
        if start < 0:
            break
        tag_end = lower.find(">", start)
        close = lower.find("</a>", tag_end) if tag_end >= 0 else -1
        if tag_end < 0 or close < 0:
            break
        pos = close + len("</a>")
        if lower[start + 2:start + 3] not in (" ", "\t", "\n"):
            continue
        tag = text[start:tag_end].replace("\t", " ")
        href = _attr_value(tag, tag.lower(), "href")
        if not href:
            continue
        href = _unescape(href.strip())
        url, _, fragment = join_url(page_url, href).partition("#")
        sha256 = ""
        if fragment.lower().startswith("sha256="):
            sha256 = fragment[len("sha256="):].lower()
        name = _unescape(text[tag_end + 1:close].strip())
        if not name:
            name = url.split("?")[0].rstrip("/").split("/")[-1]
        files.append({"filename": name, "sha256": sha256, "url": url})
    return files

def registry_of_lock(lock):
    """Returns the first registry URL a decoded uv.lock names, or None.

    Args:
      lock: the decoded lock (a dict, from decode_toml).

    Returns:
      The `source = { registry = ... }` URL of its first package that has one.
    """
    for package in lock.get("package", []):
        source = package.get("source", {})
        if type(source) == "dict" and type(source.get("registry")) == "string":
            return source["registry"]
    return None
