"""Wheel and sdist file names, and PEP 425 wheel tags for a configured target platform.

This file decides which of a lock's wheels a target platform can use, and which one it
prefers. Every fact about the target (os, cpu, libc flavour and version, macOS version,
Python version) comes from the `target` dict the caller passes in, never from the host:
the same lock must resolve the same way on a laptop, in CI and under remote execution.

A target is a dict:

    {
        "os": "linux" | "macos" | "windows",
        "cpu": "x86_64" | "aarch64",
        "libc": "glibc" | "musl",        # linux only
        "libc_version": "2.28",          # linux only; glibc 2.x or musl 1.x
        "macos_version": "12.0",         # macos only
        "python_version": "3.11",
        "implementation": "cp",          # optional; only CPython is supported
    }

Keys that do not apply to the target's os are ignored, as are unknown keys, so callers
can keep one dict shape for every platform.

The tag order reproduces `packaging.tags` 26.3 (`cpython_tags` followed by
`compatible_tags`, with the platform list that `sys_tags()` would compute on such a
machine), which is what pip and `packaging`'s own selector use. In particular, as of
packaging 26.3 a native `linux_<arch>` tag is preferred over `manylinux`/`musllinux` tags.
The interpreter is a standard CPython build (not debug, not free-threaded), so wheels
for `cp313t` and the like are never selected.

Selection is meant to run for every (package x target environment) pair, so the
intended use is: `tag_priority_map(target)` once per environment, `parse_wheel_filename`
once per file, then `wheel_priority` / `select_parsed_wheel` for each pair, which are
plain dict look-ups.

Only Starlark available in Bazel 4.2.3 is used (no while, recursion, lambda, sets,
str.removeprefix or dict union), so the file loads in Bazel 4.2.3 through 9.
"""

load(":names.bzl", "normalize_name")

# Archive suffixes accepted for sdists. PEP 625 only allows ".tar.gz", but older
# releases in a lock may use the legacy formats that uv also accepts. None is a suffix
# of another, so the order does not matter.
SDIST_EXTENSIONS = [
    ".tar.lzma",
    ".tar.bz2",
    ".tar.zst",
    ".tar.gz",
    ".tar.lz",
    ".tar.xz",
    ".tar",
    ".tbz",
    ".tgz",
    ".tlz",
    ".txz",
    ".zip",
]

# cpu name of the target dict -> architecture word used in wheel platform tags, per os.
# Linux wheels spell 64-bit ARM "aarch64"; macOS and Windows spell it "arm64".
_ARCH_NAMES = {
    "linux": {"aarch64": "aarch64", "x86_64": "x86_64"},
    "macos": {"aarch64": "arm64", "x86_64": "x86_64"},
    "windows": {"aarch64": "arm64", "x86_64": "amd64"},
}

# manylinux tags that predate PEP 600 and alias a glibc version (PEP 513, 571, 599).
_LEGACY_MANYLINUX = {
    "2.12": "manylinux2010",
    "2.17": "manylinux2014",
    "2.5": "manylinux1",
}

# packaging guesses 50 as the last minor release of a glibc major that is not the
# current one; only matters for a (hypothetical) glibc 3 target.
_LAST_GLIBC_MINOR = 50

_IDENTIFIER_START = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"
_IDENTIFIER_CHARS = _IDENTIFIER_START + "0123456789"

# PEP 427 escapes every other character of a project name to "_".
_WHEEL_NAME_CHARS = _IDENTIFIER_CHARS + "."

# Characters that can appear in a PEP 440 version (normalized or not); a cheap sanity
# check, not a full PEP 440 parser.
_VERSION_CHARS = _IDENTIFIER_CHARS + ".!+-"

_PYTHON_NAMES = {"cp": "CPython"}

_LIBC_NAMES = {"glibc": "glibc", "musl": "musl"}

_OS_NAMES = {"linux": "linux", "macos": "macOS", "windows": "windows"}

# ---------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------

def _only_chars(text, allowed):
    # lstrip() removes everything exactly when every character is allowed: one native
    # call instead of a per-character loop (slow in Bazel's Starlark).
    return not text.lstrip(allowed)

def _is_identifier(text):
    return bool(text) and text[0] in _IDENTIFIER_START and _only_chars(text, _IDENTIFIER_CHARS)

def _parse_build_tag(build, filename):
    """Splits a build tag into (leading number, rest) as PEP 427 orders them."""
    digits = 0
    for i in range(len(build)):
        if not build[i].isdigit():
            break
        digits = i + 1
    if digits == 0:
        fail('Invalid wheel filename "%s": build tag "%s" must start with a digit' % (filename, build))
    return int(build[:digits].lstrip("0") or "0"), build[digits:]

def _split_tag_set(component, what, filename):
    """Splits one compressed tag set component ("py2.py3") and lower-cases it."""
    parts = component.lower().split(".")
    for part in parts:
        if not part:
            fail('Invalid wheel filename "%s": empty entry in %s tag "%s"' % (filename, what, component))
    return parts

def parse_wheel_filename(filename):
    """Parses a wheel file name (PEP 427, with compressed tag sets per PEP 425).

    Args:
      filename: the file's base name, e.g. `"numpy-2.1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"`.

    Returns:
      A dict with
        `filename`: the input;
        `name`: the project name as written in the file (`_`-escaped);
        `normalized_name`: the PEP 503 name (see `normalize_name`);
        `version`: the version string as written;
        `build`: the build tag string, `""` when there is none;
        `build_number`, `build_suffix`: the build tag split as PEP 427 orders it
          (`-1` and `""` when there is no build tag);
        `python_tags`, `abi_tags`, `platform_tags`: lists, split on `.` and
          lower-cased (tags compare case-insensitively, as in `packaging`);
        `tags`: every expanded `"python-abi-platform"` tag of the file.
      Fails, naming the file, when the name is not a valid wheel file name.
    """
    if type(filename) != "string":
        fail("Invalid wheel filename %r: expected a string" % (filename,))
    if not filename.endswith(".whl"):
        fail('Invalid wheel filename "%s": the extension must be ".whl"' % filename)
    parts = filename[:-len(".whl")].split("-")
    if len(parts) not in (5, 6):
        fail(('Invalid wheel filename "%s": expected ' +
              "<name>-<version>[-<build>]-<python tag>-<abi tag>-<platform tag>.whl, " +
              "found %d dash-separated parts") % (filename, len(parts)))
    name = parts[0]
    if not name or "__" in name or not _only_chars(name, _WHEEL_NAME_CHARS):
        fail('Invalid wheel filename "%s": invalid project name "%s"' % (filename, name))
    version = parts[1]
    if not version or not _only_chars(version, _VERSION_CHARS):
        fail('Invalid wheel filename "%s": invalid version "%s"' % (filename, version))

    build = ""
    build_number = -1
    build_suffix = ""
    if len(parts) == 6:
        build = parts[2]
        build_number, build_suffix = _parse_build_tag(build, filename)

    python_tags = _split_tag_set(parts[-3], "python", filename)
    for python_tag in python_tags:
        if not _is_identifier(python_tag):
            fail('Invalid wheel filename "%s": invalid python tag "%s"' % (filename, python_tag))
    abi_tags = _split_tag_set(parts[-2], "abi", filename)
    platform_tags = _split_tag_set(parts[-1], "platform", filename)

    tags = []
    for python_tag in python_tags:
        for abi_tag in abi_tags:
            for platform_tag in platform_tags:
                tags.append(python_tag + "-" + abi_tag + "-" + platform_tag)

    return {
        "abi_tags": abi_tags,
        "build": build,
        "build_number": build_number,
        "build_suffix": build_suffix,
        "filename": filename,
        "name": name,
        "normalized_name": normalize_name(name),
        "platform_tags": platform_tags,
        "python_tags": python_tags,
        "tags": tags,
        "version": version,
    }

def parse_wheel_filename_shared(filename, memo):
    """parse_wheel_filename(filename), sharing the parse of what follows `<name>-<version>-`.

    Packages repeat the same tails (`py3-none-any.whl`, the same cp310-cp313 platform
    sets), so a tail parsed once serves every file that ends in it; only the name and
    version parts are checked per file. The result (and its failures) equal
    parse_wheel_filename's; its lists are shared between results, not to be changed.

    Args:
      filename: the file's base name.
      memo: a dict kept across calls: tail -> parsed.

    Returns:
      What parse_wheel_filename(filename) returns.
    """
    parts = filename.split("-", 2) if type(filename) == "string" else []
    if len(parts) == 3:
        name, version, tail = parts
        shared = memo.get(tail)
        if (shared != None and name and "__" not in name and not name.lstrip(_WHEEL_NAME_CHARS) and
            version and not version.lstrip(_VERSION_CHARS)):
            out = dict(shared)
            out["filename"] = filename
            out["name"] = name
            out["normalized_name"] = normalize_name(name)
            out["version"] = version
            return out
    parsed = parse_wheel_filename(filename)
    if len(parts) == 3:
        memo[parts[2]] = parsed
    return parsed

def _sdist_extension(filename):
    for ext in SDIST_EXTENSIONS:
        if filename.endswith(ext):
            return ext
    return None

def parse_sdist_filename(filename, project_name = None):
    """Parses a source distribution file name, `<name>-<version><ext>`.

    Names of old sdists may contain `-`, so the split is ambiguous. With `project_name`
    the name part is the prefix whose PEP 503 form equals `project_name`'s; without
    it the split is at the last `-`, as `packaging.utils.parse_sdist_filename` does
    (PEP 440 versions contain no `-`).

    Args:
      filename: the file's base name, e.g. `"zope.interface-6.0.tar.gz"`.
      project_name: optional project name from the lock, e.g. `"zope-interface"`.

    Returns:
      A dict with `filename`, `name` (as written in the file), `normalized_name`,
      `version` and `ext` (one of `SDIST_EXTENSIONS`, e.g. `".tar.gz"`). Fails,
      naming the file, when the name cannot be split or does not match `project_name`.
    """
    if type(filename) != "string":
        fail("Invalid sdist filename %r: expected a string" % (filename,))
    ext = _sdist_extension(filename)
    if ext == None:
        fail('Invalid sdist filename "%s": the extension must be one of %s' % (
            filename,
            ", ".join(SDIST_EXTENSIONS),
        ))
    stem = filename[:-len(ext)]

    split_at = -1
    if project_name == None:
        split_at = stem.rfind("-")
    else:
        wanted = normalize_name(project_name)
        for i in range(len(stem)):
            if stem[i] == "-" and normalize_name(stem[:i]) == wanted:
                split_at = i
                break
        if split_at < 0:
            fail('Invalid sdist filename "%s": it does not start with "<%s>-<version>"' % (
                filename,
                project_name,
            ))

    if split_at <= 0 or split_at == len(stem) - 1:
        fail('Invalid sdist filename "%s": expected <name>-<version>%s' % (filename, ext))
    name = stem[:split_at]
    version = stem[split_at + 1:]
    if not _only_chars(version, _VERSION_CHARS):
        fail('Invalid sdist filename "%s": invalid version "%s"' % (filename, version))
    return {
        "ext": ext,
        "filename": filename,
        "name": name,
        "normalized_name": normalize_name(name),
        "version": version,
    }

# ---------------------------------------------------------------------------
# Targets
# ---------------------------------------------------------------------------

def _parse_version(value, what, target, minor_required = True):
    """Parses "X.Y" or "X.Y.Z" (and "X" if not `minor_required`) into [X, Y]."""
    if type(value) != "string":
        fail("Invalid target %r: %s must be a string like \"3.11\", got %r" % (target, what, value))
    parts = value.split(".")
    if len(parts) > 3 or (minor_required and len(parts) < 2):
        fail("Invalid target %r: %s \"%s\" is not a version like \"3.11\"" % (target, what, value))
    numbers = []
    for part in parts:
        if not part.isdigit():
            fail("Invalid target %r: %s \"%s\" is not a version like \"3.11\"" % (target, what, value))

        # Strip leading zeros so int() never sees an octal-looking literal.
        numbers.append(int(part.lstrip("0") or "0"))
    if len(numbers) == 1:
        numbers.append(0)
    return numbers[:2]

def _required(target, key):
    value = target.get(key)
    if value == None:
        fail("Invalid target %r: missing \"%s\"" % (target, key))
    return value

def _check_target(target):
    """Validates a target dict; returns (os, platform arch word)."""
    if type(target) != "dict":
        fail("Invalid target %r: expected a dict with os, cpu, python_version, ..." % (target,))
    os = _required(target, "os")
    if type(os) != "string" or os not in _ARCH_NAMES:
        fail("Invalid target %r: os %r is not one of %s" % (target, os, ", ".join(sorted(_ARCH_NAMES.keys()))))
    cpu = _required(target, "cpu")
    arch = _ARCH_NAMES[os].get(cpu) if type(cpu) == "string" else None
    if arch == None:
        fail("Invalid target %r: cpu %r is not one of %s" % (target, cpu, ", ".join(sorted(_ARCH_NAMES[os].keys()))))
    implementation = target.get("implementation") or "cp"
    if type(implementation) != "string" or implementation not in _PYTHON_NAMES:
        fail("Invalid target %r: implementation %r is not supported (only \"cp\", CPython)" % (target, implementation))
    return os, arch

def _linux_libc(target):
    libc = _required(target, "libc")
    if type(libc) != "string" or libc not in _LIBC_NAMES:
        fail("Invalid target %r: libc %r is not one of glibc, musl" % (target, libc))
    version = _parse_version(_required(target, "libc_version"), "libc_version", target)

    # glibc has been 2.x since 1997 and musl 1.x since 2013; anything older is a typo.
    oldest_major = 2 if libc == "glibc" else 1
    if version[0] < oldest_major:
        fail("Invalid target %r: libc_version \"%s\" is older than %s %d.0" % (
            target,
            target["libc_version"],
            libc,
            oldest_major,
        ))
    return libc, version

def _manylinux_platforms(arch, glibc):
    """packaging's `_manylinux.platform_tags([arch])` for a machine with this glibc."""

    # The oldest glibc any manylinux tag supports is 2.17, except on x86 where
    # manylinux1 (glibc 2.5) and manylinux2010 (glibc 2.12) exist too.
    oldest_minor = 5 if arch == "x86_64" else 17
    major, minor = glibc[0], glibc[1]
    if major < 2 or (major == 2 and minor < oldest_minor):
        return []

    # Each glibc major is compatible with all older ones: the current major from its
    # minor down to 0, older majors (> 2) from the guessed last minor, then 2.x.
    ranges = [(major, minor)]
    for older in range(major - 1, 1, -1):
        ranges.append((older, _LAST_GLIBC_MINOR))
    platforms = []
    for glibc_major, top_minor in ranges:
        low = oldest_minor if glibc_major == 2 else 0
        for glibc_minor in range(top_minor, low - 1, -1):
            platforms.append("manylinux_%d_%d_%s" % (glibc_major, glibc_minor, arch))
            legacy = _LEGACY_MANYLINUX.get("%d.%d" % (glibc_major, glibc_minor))
            if legacy:
                platforms.append(legacy + "_" + arch)
    return platforms

def _musllinux_platforms(arch, musl):
    """packaging's `_musllinux.platform_tags([arch])` for a machine with this musl."""
    return ["musllinux_%d_%d_%s" % (musl[0], m, arch) for m in range(musl[1], -1, -1)]

def _mac_binary_formats(version, arch):
    """packaging's `_mac_binary_formats` for the two 64-bit architectures we target."""
    if arch == "arm64":
        return ["arm64", "universal2"]
    if version[0] == 10 and version[1] < 4:
        return []
    return ["x86_64", "intel", "fat64", "fat3", "universal2", "universal"]

def _mac_platforms(version, arch):
    """packaging's `mac_platforms(version, arch)`, in the same order."""
    platforms = []
    if version[0] == 10:
        # Before macOS 11 every yearly release bumped the minor version.
        for minor in range(version[1], -1, -1):
            for fmt in _mac_binary_formats((10, minor), arch):
                platforms.append("macosx_10_%d_%s" % (minor, fmt))
    if version[0] >= 11:
        # From macOS 11 on every yearly release bumps the major; minors are ignored.
        for major in range(version[0], 10, -1):
            for fmt in _mac_binary_formats((major, 0), arch):
                platforms.append("macosx_%d_0_%s" % (major, fmt))

        # x86_64 runs binaries built for 10.x; arm64 only the universal2 ones, whose
        # x86_64 half may name a 10.x version.
        for minor in range(16, 3, -1):
            formats = _mac_binary_formats((10, minor), arch) if arch == "x86_64" else ["universal2"]
            for fmt in formats:
                platforms.append("macosx_10_%d_%s" % (minor, fmt))
    return platforms

def target_platform_tags(target):
    """The wheel platform tags a target accepts, most preferred first.

    Args:
      target: a target dict (see the module docstring).

    Returns:
      A list of platform tags, e.g. `["linux_x86_64", "manylinux_2_28_x86_64", ...]`,
      in the order `packaging.tags.platform_tags()` yields them on such a machine.
    """
    os, arch = _check_target(target)
    if os == "windows":
        return ["win_" + arch]
    if os == "macos":
        version = _macos_version(target)
        if version[0] < 10:
            fail("Invalid target %r: macos_version \"%s\" is older than 10.0" % (target, target["macos_version"]))
        return _mac_platforms(version, arch)

    # packaging 26.3 puts the native linux tag first (pypa/packaging#160).
    libc, version = _linux_libc(target)
    platforms = ["linux_" + arch]
    if libc == "glibc":
        platforms.extend(_manylinux_platforms(arch, version))
    else:
        platforms.extend(_musllinux_platforms(arch, version))
    return platforms

def _macos_version(target):
    # "14" is as good as "14.0": from macOS 11 on the minor is a mid-year update.
    return _parse_version(_required(target, "macos_version"), "macos_version", target, minor_required = False)

def _python_version(target):
    version = _parse_version(_required(target, "python_version"), "python_version", target)

    # Older CPythons had ABI flags ("u" for UCS-4) that a target dict cannot express.
    if version[0] < 3 or (version[0] == 3 and version[1] < 3):
        fail("Invalid target %r: python_version \"%s\" is older than 3.3" % (target, target["python_version"]))
    return version

def _cpython_abi(major, minor):
    """The ABI tag of a standard (non-debug, GIL-enabled) CPython build."""

    # Before 3.8, builds with pymalloc (the default, also on Windows) marked it with "m".
    if major == 3 and minor < 8:
        return "cp%d%dm" % (major, minor)
    return "cp%d%d" % (major, minor)

def _cpython_tags(major, minor, platforms):
    """packaging's `cpython_tags(python_version, abis=[<standard abi>], platforms)`."""
    interpreter = "cp%d%d" % (major, minor)
    abi = _cpython_abi(major, minor)
    tags = [interpreter + "-" + abi + "-" + p for p in platforms]

    # abi3 exists from CPython 3.2 on; an extension built for an older abi3 still loads.
    use_abi3 = major > 3 or minor >= 2
    if use_abi3:
        tags.extend([interpreter + "-abi3-" + p for p in platforms])
    tags.extend([interpreter + "-none-" + p for p in platforms])
    if use_abi3:
        for older in range(minor - 1, 1, -1):
            prefix = "cp%d%d-abi3-" % (major, older)
            tags.extend([prefix + p for p in platforms])
    return tags

def _compatible_tags(major, minor, platforms):
    """packaging's `compatible_tags(python_version, interpreter="cpXY", platforms)`."""

    # pyXY, pyX, then every older minor of the same major, newest first.
    versions = ["py%d%d" % (major, minor), "py%d" % major]
    versions.extend(["py%d%d" % (major, m) for m in range(minor - 1, -1, -1)])
    tags = []
    for version in versions:
        tags.extend([version + "-none-" + p for p in platforms])
    tags.append("cp%d%d-none-any" % (major, minor))
    tags.extend([version + "-none-any" for version in versions])
    return tags

def target_tags(target):
    """All wheel tags a target accepts, most preferred first.

    Equals `packaging.tags.sys_tags()` on a standard (non-debug, GIL-enabled) CPython
    matching the target: `cpython_tags` followed by `compatible_tags`.

    Args:
      target: a target dict (see the module docstring).

    Returns:
      A list of `"python-abi-platform"` strings, e.g.
      `["cp311-cp311-manylinux_2_28_x86_64", ..., "py30-none-any"]`.
    """
    platforms = target_platform_tags(target)
    version = _python_version(target)
    tags = _cpython_tags(version[0], version[1], platforms)
    tags.extend(_compatible_tags(version[0], version[1], platforms))
    return tags

def tag_priority_map(target):
    """Maps each tag a target accepts to its priority (0 is the most preferred).

    Compute this once per target environment and pass it to `wheel_priority` or
    `select_parsed_wheel` for every package.

    Args:
      target: a target dict (see the module docstring).

    Returns:
      A dict from `"python-abi-platform"` to an int.
    """
    priorities = {}
    for rank, tag in enumerate(target_tags(target)):
        # Keep the first (best) rank should a tag ever be listed twice.
        if tag not in priorities:
            priorities[tag] = rank
    return priorities

# ---------------------------------------------------------------------------
# Selection
# ---------------------------------------------------------------------------

def wheel_priority(wheel, tag_priorities):
    """The priority of a wheel for a target, or None if the target cannot use it.

    Args:
      wheel: a wheel file name, or the dict `parse_wheel_filename` returned for one
        (pass the dict in loops, so each file is parsed once).
      tag_priorities: the result of `tag_priority_map(target)`.

    Returns:
      The lowest priority of any of the wheel's expanded tags (lower is better), or
      None when none of them is accepted.
    """
    if type(wheel) == "string":
        wheel = parse_wheel_filename(wheel)
    best = None
    for tag in wheel["tags"]:
        rank = tag_priorities.get(tag)
        if rank != None and (best == None or rank < best):
            best = rank
    return best

def _beats(wheel, rank, best_wheel, best_rank):
    """Whether `wheel` is preferred to the current best: rank, then build, then name."""
    if rank != best_rank:
        return rank < best_rank
    if wheel["build_number"] != best_wheel["build_number"]:
        return wheel["build_number"] > best_wheel["build_number"]
    if wheel["build_suffix"] != best_wheel["build_suffix"]:
        return wheel["build_suffix"] > best_wheel["build_suffix"]
    return wheel["filename"] < best_wheel["filename"]

def select_parsed_wheel(wheels, tag_priorities):
    """Picks the best wheel for a target among already parsed wheels.

    The best wheel has the lowest `wheel_priority`. Ties (wheels whose best tags are
    the same) are broken deterministically, the way pip does where it can: the higher
    build tag wins (number, then the rest of the tag as a string), then the
    lexicographically smaller file name, then the earlier position in `wheels`. The
    wheels are assumed to be of one release; versions are not compared.

    Args:
      wheels: a list of dicts from `parse_wheel_filename`.
      tag_priorities: the result of `tag_priority_map(target)`.

    Returns:
      The index in `wheels` of the best wheel, or None if the target can use none.
    """
    best_index = None
    best_rank = None
    for index, wheel in enumerate(wheels):
        # wheel_priority, inlined: this loop runs for every (package x environment).
        rank = None
        for tag in wheel["tags"]:
            tag_rank = tag_priorities.get(tag)
            if tag_rank != None and (rank == None or tag_rank < rank):
                rank = tag_rank
        if rank == None:
            continue
        if best_index == None or _beats(wheel, rank, wheels[best_index], best_rank):
            best_index = index
            best_rank = rank
    return best_index

def select_wheel(filenames, target):
    """Picks the best wheel file name for a target.

    Convenience wrapper over `tag_priority_map` and `select_parsed_wheel`; for many
    packages, compute the priority map once and call `select_parsed_wheel`.

    Args:
      filenames: a list of wheel file names.
      target: a target dict (see the module docstring).

    Returns:
      The index in `filenames` of the best wheel, or None if the target can use none.
    """
    wheels = [parse_wheel_filename(f) for f in filenames]
    return select_parsed_wheel(wheels, tag_priority_map(target))

def describe_target(target):
    """A short human-readable description of a target, for error messages.

    Args:
      target: a target dict (see the module docstring).

    Returns:
      e.g. `"linux_aarch64 (glibc 2.28), CPython 3.11"` or
      `"macos_aarch64 (macOS 14.0), CPython 3.12"`.
    """
    os, _ = _check_target(target)
    text = "%s_%s" % (os, target["cpu"])
    if os == "linux":
        libc, version = _linux_libc(target)
        text += " (%s %d.%d)" % (_LIBC_NAMES[libc], version[0], version[1])
    elif os == "macos":
        version = _macos_version(target)
        text += " (%s %d.%d)" % (_OS_NAMES[os], version[0], version[1])
    python = _python_version(target)
    implementation = target.get("implementation") or "cp"
    return "%s, %s %d.%d" % (text, _PYTHON_NAMES[implementation], python[0], python[1])
