"""The providers of Python targets: PyDepsInfo (every target) and PyWheelsInfo (hub packages)."""

PyDepsInfo = provider(
    doc = "What a program needs at run time from a Python target and its dependencies.",
    fields = {
        "imports": "depset of string: import roots, relative to the runfiles root " +
                   "(e.g. \"my_ws/app/lib\").",
        "manifests": "depset of File: whl_install manifests of the installed packages " +
                     "(checked for conflicting files when merged).",
        "python_versions": "depset of string: the Python versions (\"3.11\") the " +
                           "installed packages were selected for.",
        "site_packages": "depset of File: installed package trees (each holds site-packages/).",
        "sources": "depset of File: first-party Python sources.",
    },
)

PyWheelsInfo = provider(
    doc = "Wheels of a package from a hub, for the current target platform.",
    fields = {
        "manifest": "File: whl_install's manifest of the installed wheel (files, console " +
                    "scripts); None for an extra.",
        "package": "string: PEP 503 name of the package.",
        "wheel": "File: the package's own wheel (or the folder holding the one built from " +
                 "its sdist); None for an extra, which only adds dependencies.",
        "wheels": "depset of File: the package's wheel and those of its transitive " +
                  "runtime dependencies.",
    },
)

def check_python_version(ctx, info, python):
    """Fails when packages were selected for another Python than the interpreter's.

    Args:
      ctx: the rule context (for the label).
      info: the target's merged PyDepsInfo.
      python: the PyInterpreterInfo that will run the program.
    """
    wanted = info.python_versions.to_list()

    # A full release ("3.11.7") when the hub was planned for one: the lock picks some
    # package by python_full_version within the minor version.
    full = [v for v in wanted if v.count(".") > 1]
    others = [v for v in wanted if v.count(".") == 1 and v != python.python_version]
    interpreter_full = getattr(python, "python_full_version", "")
    interpreter = ("CPython " + interpreter_full) if interpreter_full else (
        "declared only as CPython " + python.python_version
    )
    for v in full:
        if v.rsplit(".", 1)[0] != python.python_version:
            others.append(v)
        elif v != interpreter_full:
            fail(("%s: its packages were selected for CPython %s (the hub's python_version, " +
                  "because the lock picks some package by python_full_version), but the " +
                  "interpreter for this target platform is %s. Declare the interpreter's full " +
                  "release (python_version = \"%s.<patch>\" on its py_interpreter_toolchain) and " +
                  "plan the hub for that same release.") %
                 (ctx.label, v, interpreter, python.python_version))
    if others:
        fail(("%s: its packages were selected for CPython %s (the hub's python_version " +
              "flag, e.g. --@pypi//:python_version), but the interpreter for this target " +
              "platform is CPython %s. Set the flag to %s, or register an interpreter " +
              "toolchain of that version for the platform.") %
             (ctx.label, " and ".join(sorted(wanted)), python.python_version, python.python_version))

def installed_trees(ctx, info):
    """Pairs each installed package tree of a PyDepsInfo with its install manifest.

    uv_package writes <name>_site/ and its manifest <name>_site.json side by side.

    Args:
      ctx: the rule context (for messages).
      info: a PyDepsInfo.

    Returns:
      A list of (tree, manifest) Files, in the order of info.site_packages.
    """
    manifests = {m.path: m for m in info.manifests.to_list()}
    pairs = []
    for tree in info.site_packages.to_list():
        manifest = manifests.get(tree.path + ".json")
        if not manifest:
            fail(("%s: the installed tree %s has no install manifest next to it; deps " +
                  "must be packages of a rules_pyuv hub (or targets depending on them)") %
                 (ctx.label, tree.short_path))
        pairs.append((tree, manifest))
    return pairs

def merge_deps(deps, sources = [], imports = [], site_packages = [], manifests = [], python_versions = []):
    """Merges the PyDepsInfo of deps with a target's own contributions.

    Args:
      deps: targets providing PyDepsInfo.
      sources: this target's own source Files.
      imports: this target's own import roots (runfiles-relative).
      site_packages: this target's own installed trees.
      manifests: this target's own install manifests.
      python_versions: the Python versions this target's packages were selected for.

    Returns:
      A PyDepsInfo.
    """
    infos = [d[PyDepsInfo] for d in deps]
    return PyDepsInfo(
        imports = depset(imports, transitive = [i.imports for i in infos]),
        manifests = depset(manifests, transitive = [i.manifests for i in infos]),
        python_versions = depset(python_versions, transitive = [i.python_versions for i in infos]),
        site_packages = depset(site_packages, transitive = [i.site_packages for i in infos]),
        sources = depset(sources, transitive = [i.sources for i in infos]),
    )
