"""Environment markers (uv/private/markers.bzl) in Bazel, on vectors computed by `packaging`."""

load("@bazel_skylib//lib:unittest.bzl", "asserts", "unittest")

# The unit under test is private to //uv; its tests load it directly.
# buildifier: disable=bzl-visibility
load("//uv/private:markers.bzl", "evaluate_marker", "marker_env", "parse_marker")
load(":markers_vectors.bzl", "MARKER_VECTORS")

def _vectors_impl(ctx):
    env = unittest.begin(ctx)
    contexts = [
        (marker_env(os, cpu, python), extras, groups)
        for os, cpu, python, extras, groups in MARKER_VECTORS["contexts"]
    ]
    cases = MARKER_VECTORS["cases"]
    asserts.true(env, len(cases) > 100, "only %d marker cases" % len(cases))
    for text, answers in cases:
        compiled = parse_marker(text)
        through_json = json.decode(json.encode(compiled))
        for (menv, extras, groups), want in zip(contexts, answers):
            cache = {}
            asserts.equals(env, want, evaluate_marker(compiled, menv, extras, groups, cache), text)
            asserts.equals(env, want, evaluate_marker(through_json, menv, extras, groups), text)
    return unittest.end(env)

def _extras_and_groups_impl(ctx):
    env = unittest.begin(ctx)
    menv = marker_env("linux", "x86_64", "3.11")
    for text, extras, groups, want in [
        ("extra == 'a' and extra == 'b'", ["a", "b"], [], True),
        ("extra != 'a'", ["a", "b"], [], False),
        ("extra == 'Foo.Bar'", ["foo_bar"], [], True),
        ("extra in 'abc'", [], [], True),
        ("group == 'Dev_Group'", [], ["dev.group"], True),
        ("group != 'dev'", [], ["docs", "dev"], False),
        ("'x' in extras and 'dev' not in dependency_groups", ["X"], ["test"], True),
        ("", [], [], True),
    ]:
        asserts.equals(env, want, evaluate_marker(text, menv, extras, groups), text)
    asserts.equals(env, {"rpn": [], "text": ""}, parse_marker(""))
    pypy = marker_env("linux", "aarch64", "3.10", implementation = "pypy")
    asserts.equals(env, "PyPy", pypy["platform_python_implementation"])
    return unittest.end(env)

vectors_test = unittest.make(_vectors_impl)
extras_and_groups_test = unittest.make(_extras_and_groups_impl)

def markers_test_suite(name):
    """The marker suite.

    Args:
      name: the test_suite's name.
    """
    unittest.suite(name, vectors_test, extras_and_groups_test)
