"""Names (uv/private/names.bzl) and dependency cycles (uv/private/graph.bzl) in Bazel."""

load("@bazel_skylib//lib:unittest.bzl", "asserts", "unittest")

# The unit under test is private to //uv; its tests load it directly.
# buildifier: disable=bzl-visibility
load("//uv/private:graph.bzl", "strongly_connected_components")

# buildifier: disable=bzl-visibility
load("//uv/private:names.bzl", "label_name", "normalize_name", "repo_safe")

def _names_impl(ctx):
    env = unittest.begin(ctx)

    # Expected values are packaging.utils.canonicalize_name's.
    for name, want in [
        ("Django", "django"),
        ("oslo.concurrency", "oslo-concurrency"),
        ("Typing_Extensions", "typing-extensions"),
        ("a--b__c..d", "a-b-c-d"),
        ("A._-B", "a-b"),
        ("-x-", "-x-"),
        ("_", "-"),
        ("", ""),
    ]:
        asserts.equals(env, want, normalize_name(name), name)
    asserts.equals(env, "typing_extensions", label_name("Typing-Extensions"))
    asserts.equals(env, "numpy_2_1_3_cp311_x_whl", repo_safe("numpy-2.1.3+cp311~x.whl"))
    return unittest.end(env)

def _graph_impl(ctx):
    env = unittest.begin(ctx)
    scc = strongly_connected_components
    asserts.equals(env, [], scc(["a", "b"], {"a": ["b"]}))
    asserts.equals(env, [["a", "b"]], scc(["a", "b"], {"a": ["b"], "b": ["a"]}))
    asserts.equals(env, [], scc(["a"], {"a": ["a"]}))
    asserts.equals(env, [["a", "b", "c"]], scc(["a", "b", "c", "d"], {"a": ["b"], "b": ["c"], "c": ["a", "d"], "d": []}))
    asserts.equals(env, [], scc(["a", "b"], {"a": ["zzz"]}))
    asserts.equals(env, [["a", "b"], ["c", "d"]], scc(["d", "c", "b", "a"], {"a": ["b"], "b": ["a", "c"], "c": ["d"], "d": ["c"]}))

    # Bazel has no recursion: a long cycle must work with the explicit stack.
    nodes = ["n%d" % i for i in range(3000)]
    edges = {nodes[i]: [nodes[i + 1]] for i in range(len(nodes) - 1)}
    edges[nodes[-1]] = [nodes[0]]
    asserts.equals(env, [sorted(nodes)], scc(nodes, edges))
    return unittest.end(env)

names_test = unittest.make(_names_impl)
graph_test = unittest.make(_graph_impl)

def names_graph_test_suite(name):
    """The names and graph suite.

    Args:
      name: the test_suite's name.
    """
    unittest.suite(name, names_test, graph_test)
