"""The target environments a hub selects over.

An environment is a Python version plus a platform variant (os, cpu, libc flavour and
version, or macOS version). Every fact comes from the target configuration — @platforms
constraints, rules_pyuv's own constraints (//uv/constraints) and the hub's python_version
flag — never from the host.
"""

# The os × cpu pairs a hub can target, as names of @platforms constraints. Everything
# per-platform derives from this list: the environments below, the target-platform
# sentinel toolchains (target_sentinel.bzl) and the hubs' no-match messages.
TARGET_PLATFORMS = [
    ("linux", "x86_64"),
    ("linux", "aarch64"),
    ("macos", "x86_64"),
    ("macos", "aarch64"),
    ("windows", "x86_64"),
    ("windows", "aarch64"),
]

# CPython minor versions a hub can target (filtered by the lock's requires-python).
PYTHON_VERSIONS = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14"]

# glibc versions of common distributions (CentOS 7, RHEL 8 / Debian 10, Debian 11 /
# Ubuntu 20.04, RHEL 9, Ubuntu 22.04, Debian 12, Ubuntu 24.04). A target whose platform
# names none gets DEFAULT_GLIBC_VERSION: the manylinux_2_28 baseline.
GLIBC_VERSIONS = ["2.17", "2.28", "2.31", "2.34", "2.35", "2.36", "2.39"]
DEFAULT_GLIBC_VERSION = "2.28"

MUSL_VERSIONS = ["1.1", "1.2"]
DEFAULT_MUSL_VERSION = "1.2"

MACOS_VERSIONS = ["10.15", "11.0", "12.0", "13.0", "14.0", "15.0"]
DEFAULT_MACOS_VERSION = "12.0"

def version_label(prefix, version):
    """Returns the constraint value name for a libc or macOS version.

    Args:
      prefix: "glibc", "musl" or "macos".
      version: e.g. "2.28".

    Returns:
      E.g. "glibc_2_28".
    """
    return prefix + "_" + version.replace(".", "_")

def _constraint(name):
    return str(Label("//uv/constraints:" + name))

def platform_variants(platforms = TARGET_PLATFORMS):
    """Lists the platform variants: one per os × cpu × libc (version) or macOS version.

    Args:
      platforms: the (os, cpu) pairs to list them for; default: every pair.

    Returns:
      A list of dicts with "name" (e.g. "linux_x86_64_glibc_2_28"), "os", "cpu",
      "libc" ("glibc", "musl" or ""), "libc_version", "macos_version" and
      "constraint_values" (canonical label strings that identify the variant).
    """
    variants = []
    for os, cpu in platforms:
        base = [str(Label("@platforms//os:" + os)), str(Label("@platforms//cpu:" + cpu))]
        prefix = "%s_%s" % (os, cpu)
        if os == "linux":
            for libc, versions in (("glibc", GLIBC_VERSIONS), ("musl", MUSL_VERSIONS)):
                for v in versions:
                    variants.append({
                        "name": prefix + "_" + version_label(libc, v),
                        "os": os,
                        "cpu": cpu,
                        "libc": libc,
                        "libc_version": v,
                        "macos_version": "",
                        "constraint_values": base + [
                            _constraint(libc),
                            _constraint(version_label(libc, v)),
                        ],
                    })
        elif os == "macos":
            for v in MACOS_VERSIONS:
                variants.append({
                    "name": prefix + "_" + version_label("macos", v),
                    "os": os,
                    "cpu": cpu,
                    "libc": "",
                    "libc_version": "",
                    "macos_version": v,
                    "constraint_values": base + [_constraint(version_label("macos", v))],
                })
        else:
            variants.append({
                "name": prefix,
                "os": os,
                "cpu": cpu,
                "libc": "",
                "libc_version": "",
                "macos_version": "",
                "constraint_values": base,
            })
    return variants

def python_tag(python_version):
    """Returns "cp311" for "3.11"."""
    return "cp" + python_version.replace(".", "")

def env_name(python_version, variant):
    """Returns the name of an environment, e.g. "cp311_linux_x86_64_glibc_2_28"."""
    return python_tag(python_version) + "_" + variant["name"]

def marker_key(python_version, os, cpu):
    """Returns the name of the coarser environment markers can tell apart.

    PEP 508 markers see the Python version, os and cpu but not the libc or macOS version,
    so dependency sets only vary between these.

    Args:
      python_version: e.g. "3.11".
      os: @platforms//os name.
      cpu: @platforms//cpu name.

    Returns:
      E.g. "cp311_linux_x86_64".
    """
    return "%s_%s_%s" % (python_tag(python_version), os, cpu)

def _unique(items):
    return {item: None for item in items}.keys()

def _and(words):
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]

def platform_name(os, cpu):
    """Returns the name of an os × cpu pair as hubs' `platforms` attribute writes it.

    Args:
      os: @platforms//os name.
      cpu: @platforms//cpu name.

    Returns:
      E.g. "linux_x86_64".
    """
    return "%s_%s" % (os, cpu)

def describe_platforms(platforms = TARGET_PLATFORMS):
    """Says which os × cpu pairs a list holds, for messages.

    Args:
      platforms: (os, cpu) pairs; default: every pair rules_pyuv knows.

    Returns:
      E.g. "linux, macos and windows for x86_64 and aarch64", or the pairs one by one
      ("linux_x86_64 and macos_aarch64") when they are not every os with every cpu.
    """
    oses = _unique([os for os, _ in platforms])
    cpus = _unique([cpu for _, cpu in platforms])
    if len(oses) * len(cpus) == len(_unique(platforms)):
        return "%s for %s" % (_and(oses), _and(cpus))
    return _and([platform_name(os, cpu) for os, cpu in platforms])
