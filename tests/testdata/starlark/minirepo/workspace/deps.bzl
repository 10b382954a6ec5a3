"""A WORKSPACE macro (maybe(http_archive, ...), native.*): the harness refuses to run it."""

load("@bazel_tools//tools/build_defs/repo:http.bzl", "http_archive")
load("@bazel_tools//tools/build_defs/repo:utils.bzl", "maybe")
load("//repo:repo.bzl", "toy_hub")

# buildifier: disable=unnamed-macro
def toy_dependencies():
    maybe(
        http_archive,
        name = "toy_tool",
        urls = ["https://example.invalid/tool-1.0.tar.gz"],
        sha256 = "a" * 64,
        strip_prefix = "tool-1.0",
    )
    maybe(http_archive, name = "toy_tool", urls = ["https://example.invalid/ignored.tar.gz"])
    native.register_toolchains("@minirepo//toolchains:all")

def toy_hub_twice():
    toy_hub(name = "hub", lockfile = "//:a.lock")
    toy_hub(name = "hub", lockfile = "//:b.lock")
