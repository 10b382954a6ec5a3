"""uv_explain: the runnable `@<hub>//:explain` listing (see explain_render.bzl)."""

def _uv_explain_impl(ctx):
    # The listing sits beside the script, so `bazel run` and bazel-bin/... both find it.
    listing = ctx.actions.declare_file(ctx.label.name + ".txt")
    ctx.actions.expand_template(template = ctx.file.report, output = listing, substitutions = {})
    script = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.write(script, "#!/bin/sh\nexec cat \"$0.txt\"\n", is_executable = True)
    return [DefaultInfo(
        executable = script,
        files = depset([script, listing]),
        runfiles = ctx.runfiles(files = [listing]),
    )]

uv_explain = rule(
    implementation = _uv_explain_impl,
    doc = "Prints a hub's plan for the target environment: per package, the wheel, the " +
          "sdist build and the execution platform it needs, or why nothing fits.",
    attrs = {
        "report": attr.label(
            mandatory = True,
            allow_single_file = [".txt"],
            doc = "The listing of the selected environment (the hub selects it).",
        ),
    },
    executable = True,
)
