"""A target that stands where a lock has nothing usable, and says why when used."""

def _uv_unavailable_impl(ctx):
    fail("\n" + ctx.attr.message)

uv_unavailable = rule(
    implementation = _uv_unavailable_impl,
    doc = "Fails analysis with `message`. Hubs select it where a package has no artifact " +
          "usable on the target platform, so the failure names the package and the reason " +
          "instead of picking a wrong file.",
    attrs = {
        "message": attr.string(mandatory = True, doc = "What is missing and how to fix it."),
    },
)
