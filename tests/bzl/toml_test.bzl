"""The TOML decoder (uv/private/toml.bzl) in Bazel, on documents checked against `tomllib`."""

load("@bazel_skylib//lib:unittest.bzl", "asserts", "unittest")

# The unit under test is private to //uv; its tests load it directly.
# buildifier: disable=bzl-visibility
load("//uv/private:toml.bzl", "decode_toml")
load(":toml_vectors.bzl", "TOML_VECTORS")

def _same_order(env, want, got, where):
    """Checks that dicts keep the document's key order (== on dicts ignores order)."""
    todo = [(want, got, where)]
    for _ in range(1000000):
        if not todo:
            break
        w, g, at = todo.pop()
        if type(w) == "dict" and type(g) == "dict":
            asserts.equals(env, list(w.keys()), list(g.keys()), "key order at " + at)
            todo.extend([(w[k], g.get(k), at + "." + k) for k in w])
        elif type(w) == "list" and type(g) == "list":
            todo.extend([(w[i], g[i], "%s[%d]" % (at, i)) for i in range(min(len(w), len(g)))])

def _documents_impl(ctx):
    env = unittest.begin(ctx)
    documents = TOML_VECTORS["documents"]
    asserts.true(env, len(documents) > 10)
    for i, (text, want) in enumerate(documents):
        got = decode_toml(text)
        asserts.equals(env, want, got, "document %d" % i)
        _same_order(env, want, got, "document %d" % i)
    return unittest.end(env)

def _special_impl(ctx):
    env = unittest.begin(ctx)
    asserts.equals(env, {}, decode_toml(""))
    asserts.equals(env, {}, decode_toml("\n\n  # just a comment\n\t\n"))
    for literal, want in [("inf", "+inf"), ("+inf", "+inf"), ("-inf", "-inf"), ("nan", "nan"), ("-nan", "nan")]:
        v = decode_toml("v = " + literal)["v"]
        asserts.equals(env, "float", type(v), literal)
        asserts.equals(env, want, str(v), literal)

    # Bazel strings are Latin-1 byte strings: escapes must become UTF-8 bytes, like the
    # raw UTF-8 text of the file.
    asserts.equals(env, decode_toml('v = "caf\\u00e9"')["v"], decode_toml('v = "café"')["v"])
    return unittest.end(env)

documents_test = unittest.make(_documents_impl)
special_test = unittest.make(_special_impl)

def toml_test_suite(name):
    """The TOML suite.

    Args:
      name: the test_suite's name.
    """
    unittest.suite(name, documents_test, special_test)
