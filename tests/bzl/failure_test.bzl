"""failure_test: checks that a Starlark function fails with a clear message, in Bazel.

unittest cannot catch fail(); an analysistest with expect_failure can. The subject is a
rule whose implementation makes one call; the test asserts the failure names the input.
"""

load("@bazel_skylib//lib:unittest.bzl", "analysistest", "asserts")

# The unit under test is private to //uv; its tests load it directly.
# buildifier: disable=bzl-visibility
load("//uv/private:lock.bzl", "parse_lock")

# buildifier: disable=bzl-visibility
load("//uv/private:markers.bzl", "evaluate_marker", "marker_env", "parse_marker")

# buildifier: disable=bzl-visibility
load(
    "//uv/private:pep440.bzl",
    "compare_versions",
    "parse_specifiers",
    "parse_version",
    "version_satisfies",
)

# buildifier: disable=bzl-visibility
load("//uv/private:planner.bzl", "plan_hub")

# buildifier: disable=bzl-visibility
load("//uv/private:toml.bzl", "decode_toml")

# buildifier: disable=bzl-visibility
load("//uv/private:wheel_tags.bzl", "parse_sdist_filename", "parse_wheel_filename", "target_tags")

def _plan_lock_text(text, kwargs):
    return plan_hub(parse_lock(text, "//:uv.lock"), "pypi", "//:uv.lock", **kwargs)

def _evaluate_marker_on(text, os, cpu, python):
    return evaluate_marker(text, marker_env(os, cpu, python))

# The functions a failure_test may call, by name.
FUNCTIONS = {
    "compare_versions": compare_versions,
    "decode_toml": decode_toml,
    "evaluate_marker_on": _evaluate_marker_on,
    "marker_env": marker_env,
    "parse_lock": parse_lock,
    "parse_marker": parse_marker,
    "parse_sdist_filename": parse_sdist_filename,
    "parse_specifiers": parse_specifiers,
    "parse_version": parse_version,
    "parse_wheel_filename": parse_wheel_filename,
    "plan_lock_text": _plan_lock_text,
    "target_tags": target_tags,
    "version_satisfies": version_satisfies,
}

def _call_impl(ctx):
    FUNCTIONS[ctx.attr.function](*json.decode(ctx.attr.args))
    return []

_call = rule(
    implementation = _call_impl,
    attrs = {
        "args": attr.string(doc = "The arguments, as a JSON list."),
        "function": attr.string(doc = "A key of FUNCTIONS."),
    },
)

def _failure_test_impl(ctx):
    env = analysistest.begin(ctx)
    for text in ctx.attr.expected:
        asserts.expect_failure(env, text)
    return analysistest.end(env)

_failure_test = analysistest.make(
    _failure_test_impl,
    expect_failure = True,
    attrs = {"expected": attr.string_list(doc = "Texts the failure message must contain.")},
)

def failure_test(name, call, expected):
    """Declares a test that `call` fails and its message contains every `expected` text.

    Args:
      name: the test's name.
      call: [function name (a key of FUNCTIONS), argument...].
      expected: texts the failure message must contain.
    """
    _call(
        name = name + "_subject",
        function = call[0],
        args = json.encode(call[1:]),
        tags = ["manual"],
    )
    _failure_test(
        name = name,
        target_under_test = ":" + name + "_subject",
        expected = expected,
    )

def failure_tests(name, cases):
    """Declares one failure_test per case and a test_suite of them.

    Args:
      name: the test_suite's name; tests are named name_0, name_1, ...
      cases: a list of [call, expected] pairs (see failure_test).
    """
    tests = []
    for i, (call, expected) in enumerate(cases):
        failure_test(name = "%s_%d" % (name, i), call = call, expected = expected)
        tests.append(":%s_%d" % (name, i))
    native.test_suite(name = name, tests = tests)
