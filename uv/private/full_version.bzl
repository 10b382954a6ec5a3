"""Markers that split a Python minor version by patch release (`python_full_version`).

uv forks a lock on `python_full_version < '3.11.5'` when a package dropped (or gained)
support within a minor release. The hub's environments are per minor version, so such a
choice cannot be made from "3.11" alone: a hub planned for a full version ("3.11.7")
evaluates that minor with it; otherwise a marker whose value differs between patch
releases of the minor makes the planner refuse the choice, naming the fix.
"""

load(":markers.bzl", "evaluate_marker", "marker_env", "parse_marker")

# Patch releases probed for a minor version: CPython's have stayed below 30.
_PATCH_PROBES = 40

def split_python_version(python_version, hub, lockfile):
    """Splits a hub's python_version into (minor, full): "3.11.7" -> ("3.11", "3.11.7").

    Args:
      python_version: "" , "3.11" or "3.11.7".
      hub: the hub's name, for messages.
      lockfile: the lock's label, for messages.

    Returns:
      (minor, full); full is "" for a minor version (or "").
    """
    parts = python_version.split(".")
    if not python_version or len(parts) == 2:
        return python_version, ""
    if len(parts) != 3 or not (parts[0] + parts[1] + parts[2]).isdigit() or "" in parts:
        fail(("python_version = \"%s\" of hub \"%s\" (lock %s) is neither \"major.minor\" " +
              "(\"3.11\") nor a final release \"major.minor.patch\" (\"3.11.7\")") % (python_version, hub, lockfile))
    return parts[0] + "." + parts[1], python_version

def patch_split(marker, os, cpu, minor, extras, cache):
    """Whether marker's value differs between patch releases of CPython `minor` on os/cpu.

    Args:
      marker: the marker text ("" is never split).
      os: the @platforms//os name.
      cpu: the @platforms//cpu name.
      minor: "3.11".
      extras: the extras active when the marker is evaluated.
      cache: a dict for parsed markers, probe environments and results.

    Returns:
      True when some patch releases satisfy it and others do not.
    """
    if not marker or "python_full_version" not in marker:
        return False
    key = "patch split\n%s\n%s %s %s\n%s" % (marker, os, cpu, minor, ",".join(extras))
    if key in cache:
        return cache[key]
    parsed = cache.get("parsed\n" + marker)
    if parsed == None:
        parsed = parse_marker(marker)
        cache["parsed\n" + marker] = parsed
    probes_key = "probes\n%s %s %s" % (os, cpu, minor)
    probes = cache.get(probes_key)
    if probes == None:
        probes = [marker_env(os, cpu, "%s.%d" % (minor, n)) for n in range(_PATCH_PROBES)]
        cache[probes_key] = probes
    values = {evaluate_marker(parsed, env, extras = extras): True for env in probes}
    cache[key] = len(values) > 1
    return cache[key]

def patch_split_message(name, lockfile, minor, marker, hub):
    """Why a package cannot be chosen from a minor version alone, and the fix."""
    return ("%s: the lock %s chooses it by the exact CPython %s release (marker \"%s\"), but hub " +
            "\"%s\" knows only \"%s\" for it. Set python_version = \"%s.<patch>\" on the hub (uv_lock " +
            "or the uv.lock tag) to the release of the target interpreter, e.g. \"%s.7\", and " +
            "declare that release on its py_interpreter_toolchain (python_version = \"%s.7\")") % (
        name,
        lockfile,
        minor,
        marker,
        hub,
        minor,
        minor,
        minor,
        minor,
    )
