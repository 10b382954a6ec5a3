"""The toy hub repository rule: reads the lock, writes BUILD files from a template."""

def _toy_hub_impl(rctx):
    lock = rctx.read(rctx.attr.lockfile)
    rctx.report_progress("writing hub %s" % rctx.attr.name)
    python = rctx.which("python3")
    version = "unknown"
    if python:
        result = rctx.execute([python, "--version"])
        if result.return_code == 0:
            version = result.stdout.strip()
    rctx.template(
        "BUILD.bazel",
        rctx.attr._build_tmpl,
        substitutions = {
            "{HUB}": rctx.attr.name,
            "{PACKAGES}": json.encode(rctx.attr.packages),
        },
        executable = False,
    )
    for pkg in rctx.attr.packages:
        rctx.file(
            pkg + "/BUILD.bazel",
            'alias(name = "%s", actual = "@%s__%s//file")\n' % (pkg, rctx.attr.name, pkg),
            executable = False,
        )
    rctx.file(
        "info.json",
        json.encode({
            "python": version,
            "python_version": rctx.attr.python_version,
            "lock_lines": len(lock.splitlines()),
            "lockfile": str(rctx.attr.lockfile),
            "os": rctx.os.name,
        }),
        executable = False,
    )
    rctx.file("tool.sh", "#!/bin/sh\necho tool\n")

toy_hub = repository_rule(
    implementation = _toy_hub_impl,
    attrs = {
        "lockfile": attr.label(mandatory = True, allow_single_file = True),
        "packages": attr.string_list(),
        "python_version": attr.string(default = "3.11"),
        "_build_tmpl": attr.label(default = "//repo:BUILD.tmpl"),
    },
)
