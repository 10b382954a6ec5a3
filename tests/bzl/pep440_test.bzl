"""PEP 440 (uv/private/pep440.bzl) in Bazel, on vectors computed by `packaging`."""

load("@bazel_skylib//lib:unittest.bzl", "asserts", "unittest")

# The unit under test is private to //uv; its tests load it directly.
# buildifier: disable=bzl-visibility
load("//uv/private:pep440.bzl", "compare_versions", "format_version", "is_valid_version", "parse_specifiers", "try_parse_specifier", "try_parse_version", "version_satisfies")
load(":pep440_vectors.bzl", "PEP440_VECTORS")

def _versions_impl(ctx):
    env = unittest.begin(ctx)
    for text, want in PEP440_VECTORS["versions"]:
        parsed = try_parse_version(text)
        got = None if parsed == None else format_version(parsed)
        asserts.equals(env, want, got, "normal form of %r" % text)
    return unittest.end(env)

def _compare_impl(ctx):
    env = unittest.begin(ctx)
    for a, b, want in PEP440_VECTORS["compare"]:
        asserts.equals(env, want, compare_versions(a, b), "compare %r %r" % (a, b))
        ka = try_parse_version(a)["key"]
        kb = try_parse_version(b)["key"]
        asserts.equals(env, [want < 0, want == 0, want > 0], [ka < kb, ka == kb, ka > kb], "keys of %r %r" % (a, b))
    return unittest.end(env)

def _specifiers_impl(ctx):
    env = unittest.begin(ctx)
    for text, want in PEP440_VECTORS["specifiers"]:
        asserts.equals(env, want, try_parse_specifier(text) != None, "validity of %r" % text)
    checked = 0
    for spec_set, candidates in PEP440_VECTORS["sets"]:
        for version, want in candidates:
            checked += 1
            asserts.equals(env, want, version_satisfies(version, spec_set), "%r in %r" % (version, spec_set))
    asserts.true(env, checked > 500, "only %d specifier checks" % checked)
    return unittest.end(env)

def _examples_impl(ctx):
    env = unittest.begin(ctx)
    asserts.equals(env, 0, compare_versions("1.0", "1.0.0"))
    asserts.equals(env, 0, compare_versions("v1.0", "1.0"))
    asserts.equals(env, -1, compare_versions("1.0.dev1", "1.0a1"))
    asserts.equals(env, -1, compare_versions("2.0", "1!1.0"))
    asserts.true(env, is_valid_version(" 1.0 "))
    asserts.false(env, is_valid_version("1.0.*"))
    asserts.equals(env, [(">=", "3.9"), ("<", "4")], parse_specifiers(">=3.9, <4"))
    asserts.equals(env, [("~=", "2.2"), ("!=", "1.0.*"), ("===", "x")], parse_specifiers(" ~= 2.2 ,, !=1.0.* ,===x "))
    asserts.equals(env, [], parse_specifiers(""))
    asserts.true(env, version_satisfies("3.11.4", "==3.11.*"))
    asserts.false(env, version_satisfies("2.0a1", "<2.0"))
    asserts.true(env, version_satisfies("1.0+local", "==1.0"))
    asserts.true(env, version_satisfies("FOO", "===foo"))
    asserts.true(env, version_satisfies("anything", ""))
    return unittest.end(env)

versions_test = unittest.make(_versions_impl)
compare_test = unittest.make(_compare_impl)
specifiers_test = unittest.make(_specifiers_impl)
examples_test = unittest.make(_examples_impl)

def pep440_test_suite(name):
    """The PEP 440 suite.

    Args:
      name: the test_suite's name.
    """
    unittest.suite(name, versions_test, compare_test, specifiers_test, examples_test)
