"""`uv_lock_test`: fails when a uv.lock no longer matches its pyproject files.

It runs `uv lock --check` (offline by default) on copies of the lock and the files uv reads,
with the pinned uv and the target's Python toolchain, so CI catches a lock that was not
updated after a pyproject.toml change, and names the command that updates it.
"""

# The Python toolchain type and the words of scripts are py's (uv -> py is the allowed
# direction).
# buildifier: disable=bzl-visibility
load("//py/private:interpreter.bzl", "PY_TOOLCHAIN_TYPE")

# buildifier: disable=bzl-visibility
load("//py/private:scripts.bzl", "implicit_file_attr", "runfiles_path", "shell_quote")
load(":text.bzl", "prose")

def _workspace_path(ctx, file, what):
    if file.short_path.startswith("../"):
        fail("%s: %s %s is not in the main repository; uv_lock_test checks the workspace's own lock" %
             (ctx.label, what, file.short_path))
    return file.short_path

def _uv_lock_test_impl(ctx):
    lock = ctx.file.lockfile
    lock_path = _workspace_path(ctx, lock, "lockfile")
    if lock.basename != "uv.lock":
        fail("%s: lockfile must be a file named uv.lock (uv reads no other name), got %s" %
             (ctx.label, lock_path))
    lock_dir = lock_path[:-len("uv.lock")].rstrip("/")
    copies = ["copy %s %s" % (shell_quote(runfiles_path(ctx, lock)), shell_quote(lock_path))]
    for f in ctx.files.srcs:
        copies.append("copy %s %s" % (shell_quote(runfiles_path(ctx, f)), shell_quote(_workspace_path(ctx, f, "src"))))

    python = ctx.toolchains[PY_TOOLCHAIN_TYPE].py_interpreter
    runfiles = [ctx.file.uv, lock] + ctx.files.srcs
    if python.interpreter:
        runfiles.append(python.interpreter)
        python_line = "UV_PYTHON=\"$r\"/%s\nexport UV_PYTHON" % shell_quote(runfiles_path(ctx, python.interpreter))
    else:
        python_line = "UV_PYTHON=%s\nexport UV_PYTHON" % shell_quote(python.interpreter_path)

    update = ctx.attr.update_command or (
        "bazel run @rules_pyuv//uv:uv -- lock" + (" --directory " + lock_dir if lock_dir else "")
    )
    stale = ("rules_pyuv: %s is stale: it does not match %s (see uv's message above%s). " +
             "Update the lock with\n\n    %s\n\nand commit the new %s.") % (
        lock_path,
        ", ".join([f.short_path for f in ctx.files.srcs]),
        "; offline, a changed requirement shows as \"not found in the cache\"" if ctx.attr.offline else "",
        update,
        lock_path,
    )
    broken = ("rules_pyuv: uv could not check %s (see uv's message above). If a file uv reads " +
              "is missing from the copy, add it to srcs of %s (uv.toml, workspace members' " +
              "pyproject.toml, local path sources).") % (lock_path, ctx.label)

    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.expand_template(
        template = ctx.file._template,
        output = script,
        substitutions = {
            "{{BROKEN}}": shell_quote(broken),
            "{{COPIES}}": "\n".join(copies),
            "{{FLAGS}}": "--offline" if ctx.attr.offline else "",
            "{{LOCK_DIR}}": shell_quote(lock_dir or "."),
            "{{PYTHON}}": python_line,
            "{{STALE}}": shell_quote(stale),
            "{{UV}}": shell_quote(runfiles_path(ctx, ctx.file.uv)),
        },
        is_executable = True,
    )
    return [DefaultInfo(executable = script, runfiles = ctx.runfiles(files = runfiles))]

uv_lock_test = rule(
    implementation = _uv_lock_test_impl,
    doc = "Fails when `lockfile` is stale against `srcs` (`uv lock --check`), naming the fix.",
    attrs = {
        "lockfile": attr.label(
            allow_single_file = True,
            mandatory = True,
            doc = "The uv.lock to check (in the main repository).",
        ),
        "offline": attr.bool(
            default = True,
            doc = prose("""
                Pass --offline: a fresh lock checks without the network; a stale one fails. Set
                False when the check needs the index (e.g. dynamic metadata to build).
            """),
        ),
        "srcs": attr.label_list(
            allow_files = True,
            mandatory = True,
            doc = prose("""
                Every file uv reads for the lock: pyproject.toml files (the project and its
                workspace members), uv.toml, local path sources.
            """),
        ),
        "update_command": attr.string(
            doc = prose("""
                The command the failure message tells to run; default `bazel run
                @rules_pyuv//uv:uv -- lock [--directory <lock dir>]`.
            """),
        ),
        "uv": attr.label(
            allow_single_file = True,
            default = Label("//uv:uv_bin"),
            doc = "The uv binary (default: rules_pyuv's pinned uv for the host).",
        ),
        "_template": implicit_file_attr("//uv/private:uv_lock_test.sh.tpl"),
    },
    test = True,
    toolchains = [PY_TOOLCHAIN_TYPE],
)
