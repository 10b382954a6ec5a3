"""Analysis tests of the py_* rules: what py_library provides, and its errors."""

load("@bazel_skylib//lib:unittest.bzl", "analysistest", "asserts")
load("//py:defs.bzl", "py_library")

# buildifier: disable=bzl-visibility
load("//py/private:providers.bzl", "PyDepsInfo")

def _library_provides_impl(ctx):
    env = analysistest.begin(ctx)
    info = analysistest.target_under_test(env)[PyDepsInfo]
    sources = sorted([f.short_path for f in info.sources.to_list()])
    asserts.equals(env, ["tests/bzl/lib_a.py", "tests/bzl/lib_b.py"], sources)
    asserts.equals(env, sorted(["rules_pyuv/tests/bzl", "rules_pyuv/tests"]), sorted(info.imports.to_list()))
    asserts.equals(env, [], info.site_packages.to_list())
    return analysistest.end(env)

library_provides_test = analysistest.make(_library_provides_impl)

def _library_fails_impl(ctx):
    env = analysistest.begin(ctx)
    asserts.expect_failure(env, ctx.attr.expected)
    return analysistest.end(env)

library_fails_test = analysistest.make(
    _library_fails_impl,
    expect_failure = True,
    attrs = {"expected": attr.string()},
)

def rules_test_suite(name):
    """py_library analysis tests.

    Args:
      name: the test_suite's name.
    """
    py_library(name = "lib_b", srcs = ["lib_b.py"], imports = [".."], tags = ["manual"])
    py_library(name = "lib_a", srcs = ["lib_a.py"], imports = ["."], deps = [":lib_b"], tags = ["manual"])
    library_provides_test(name = name + "_provides", target_under_test = ":lib_a")
    py_library(name = "lib_escapes", srcs = ["lib_a.py"], imports = ["../../.."], tags = ["manual"])
    library_fails_test(
        name = name + "_escapes",
        target_under_test = ":lib_escapes",
        expected = "import \"../../..\" leaves the repository",
    )
    py_library(name = "lib_absolute", srcs = ["lib_a.py"], imports = ["/abs"], tags = ["manual"])
    library_fails_test(
        name = name + "_absolute",
        target_under_test = ":lib_absolute",
        expected = "imports must be relative to the package, got \"/abs\"",
    )
    native.test_suite(name = name, tests = [name + "_provides", name + "_escapes", name + "_absolute"])
