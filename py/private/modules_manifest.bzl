"""py_modules_manifest: the import names of a hub's packages, for rules_python's Gazelle plugin."""

load(":exec_tools.bzl", "py_tool_attr", "py_tools_exec_groups", "run_py_tool_for_output")
load(":providers.bzl", "PyDepsInfo", "installed_trees", "merge_deps")
load(":scripts.bzl", "shell_quote")

# Names Gazelle should not map: private modules (what rules_python's own generator skips by
# default) and the test, docs and example folders some wheels ship at their top level, which
# would otherwise claim a project's own `tests` package.
DEFAULT_EXCLUDE_PATTERNS = [
    "^_|(\\._)+",
    "^(tests?|docs?|examples?|benchmarks?)(\\.|$)",
]

def _manifest_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name + ".yaml")

    # In a stable order: by path.
    trees = {tree.path: (tree, m) for tree, m in installed_trees(ctx, merge_deps(ctx.attr.deps))}

    args = ctx.actions.args()
    args.add("--hub", ctx.attr.hub)
    args.add("--out", out)
    args.add("--label", str(ctx.label))
    if ctx.attr.update_target:
        args.add("--update-target", ctx.attr.update_target)
    for pattern in ctx.attr.exclude_patterns:
        args.add("--exclude", pattern)
    for module in sorted(ctx.attr.modules_override):
        args.add("--override", "%s=%s" % (module, ctx.attr.modules_override[module]))
    inputs = []
    for path in sorted(trees):
        site, manifest = trees[path]
        args.add("--installed")
        args.add(site.path)
        args.add(manifest.path)
        inputs.extend([site, manifest])

    return run_py_tool_for_output(
        ctx,
        ctx.attr._tool,
        out,
        arguments = [args],
        inputs = inputs,
        mnemonic = "PyModulesManifest",
        progress_message = "Writing the Gazelle modules manifest %s" % ctx.label,
    )

py_modules_manifest_rule = rule(
    implementation = _manifest_impl,
    doc = "Writes <name>.yaml, a gazelle_python.yaml for the packages of deps on the " +
          "target platform (see the py_modules_manifest macro).",
    attrs = {
        "deps": attr.label_list(
            providers = [PyDepsInfo],
            doc = "Hub packages (@pypi//requests, ...) or any Python target; every package " +
                  "they install on the target platform is mapped.",
        ),
        "exclude_patterns": attr.string_list(
            default = DEFAULT_EXCLUDE_PATTERNS,
            doc = "Python regexes searched in each dotted import name; matching names " +
                  "are left out.",
        ),
        "hub": attr.string(
            mandatory = True,
            doc = "Name of the hub repository as BUILD files spell it (\"pypi\"): " +
                  "Gazelle writes deps as @<hub>//<package>.",
        ),
        "modules_override": attr.string_dict(
            doc = "Import name -> package, for names several packages provide (or to add " +
                  "one): {\"jwt\": \"pyjwt\"}.",
        ),
        "update_target": attr.string(doc = "Label named in the file's header."),
        "_tool": py_tool_attr("//py/private:modules_manifest_tool"),
    },
    exec_groups = py_tools_exec_groups(),
)

_TEST_SCRIPT = """\
#!/bin/sh
# Checks that the committed Gazelle manifest is the one {label} generates.
generated={generated}
committed={committed}
if [ -z "$committed" ] || [ ! -f "$committed" ]; then
  echo "{label}: {file} does not exist; create it with: bazel run {update}" >&2
  exit 1
fi
if cmp -s "$generated" "$committed"; then
  exit 0
fi
echo "{label}: {file} is out of date; update it with: bazel run {update}" >&2
if command -v diff >/dev/null 2>&1; then
  diff -u "$committed" "$generated" >&2
fi
exit 1
"""

def _manifest_test_impl(ctx):
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    committed = ctx.file.committed
    ctx.actions.write(script, _TEST_SCRIPT.format(
        label = ctx.attr.generated.label,
        generated = shell_quote(ctx.file.generated.short_path),
        committed = shell_quote(committed.short_path if committed else ""),
        file = ctx.attr.file,
        update = ctx.attr.update_target,
    ), is_executable = True)
    files = [ctx.file.generated] + ([committed] if committed else [])
    return [DefaultInfo(executable = script, runfiles = ctx.runfiles(files = files))]

py_modules_manifest_test = rule(
    implementation = _manifest_test_impl,
    doc = "Fails when the committed manifest differs from the generated one.",
    attrs = {
        "committed": attr.label(allow_single_file = True, doc = "The committed file, if any."),
        "file": attr.string(mandatory = True, doc = "Its package-relative path, for messages."),
        "generated": attr.label(mandatory = True, allow_single_file = True),
        "update_target": attr.string(mandatory = True),
    },
    test = True,
)

_UPDATE_SCRIPT = """\
#!/bin/sh
# Copies the Gazelle manifest that {label} generates into the source tree.
set -eu
if [ -z "${{BUILD_WORKSPACE_DIRECTORY:-}}" ]; then
  echo "run this with: bazel run {update}" >&2
  exit 1
fi
dest="$BUILD_WORKSPACE_DIRECTORY"/{dest}
cp {generated} "$dest.tmp"
chmod 644 "$dest.tmp"
mv "$dest.tmp" "$dest"
echo "wrote $dest"
"""

def _manifest_update_impl(ctx):
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    dest = ctx.attr.file if not ctx.label.package else ctx.label.package + "/" + ctx.attr.file
    ctx.actions.write(script, _UPDATE_SCRIPT.format(
        label = ctx.attr.generated.label,
        update = ctx.label,
        dest = shell_quote(dest),
        generated = shell_quote(ctx.file.generated.short_path),
    ), is_executable = True)
    return [DefaultInfo(executable = script, runfiles = ctx.runfiles(files = [ctx.file.generated]))]

py_modules_manifest_update = rule(
    implementation = _manifest_update_impl,
    doc = "`bazel run` it to copy the generated manifest into the source tree.",
    attrs = {
        "file": attr.string(mandatory = True, doc = "Package-relative path to write."),
        "generated": attr.label(mandatory = True, allow_single_file = True),
    },
    executable = True,
)

def py_modules_manifest(
        name,
        deps,
        hub,
        manifest = "gazelle_python.yaml",
        exclude_patterns = DEFAULT_EXCLUDE_PATTERNS,
        modules_override = {},
        **kwargs):
    """The modules manifest Gazelle's Python plugin reads, for a hub's packages.

    Makes three targets:

    - `<name>`: builds `<name>.yaml`, a `gazelle_python.yaml` that maps each import name
      the packages of `deps` provide on the target platform (`yaml`, `six`,
      `google.cloud.storage`, an extension module `_speedups`, ...) to its distribution
      name (`PyYAML`), with `pip_repository: name: <hub>`;
    - `<name>.update`: `bazel run` it to copy that file to `manifest` in this package;
    - `<name>.test`: fails while the committed `manifest` is missing or differs.

    Args:
      name: target name.
      deps: hub packages (`@pypi//requests`, ...) or targets depending on them; every
        package they install on the target platform (transitively) is mapped.
      hub: the hub's name as BUILD files spell it ("pypi").
      manifest: the committed file, relative to this package.
      exclude_patterns: Python regexes searched in each dotted import name; matching names
        are left out. Default: private names (`_x`, `x._y`) and top-level `test(s)`,
        `doc(s)`, `example(s)` and `benchmark(s)` folders.
      modules_override: import name -> package, for names several packages provide.
      **kwargs: common attributes (tags, visibility, ...), given to all three targets.
    """
    update = "//%s:%s.update" % (native.package_name(), name)
    py_modules_manifest_rule(
        name = name,
        deps = deps,
        hub = hub,
        exclude_patterns = exclude_patterns,
        modules_override = modules_override,
        update_target = update,
        **kwargs
    )
    py_modules_manifest_update(
        name = name + ".update",
        file = manifest,
        generated = ":" + name,
        **kwargs
    )
    existing = native.glob([manifest], allow_empty = True)
    py_modules_manifest_test(
        name = name + ".test",
        committed = existing[0] if existing else None,
        file = manifest,
        generated = ":" + name,
        update_target = update,
        **kwargs
    )
