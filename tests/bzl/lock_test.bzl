"""The lock model (uv/private/lock.bzl) and the planner (planner.bzl) in Bazel."""

load("@bazel_skylib//lib:unittest.bzl", "asserts", "unittest")

# The unit under test is private to //uv; its tests load it directly.
# buildifier: disable=bzl-visibility
load("//uv/private:lock.bzl", "parse_lock")

# buildifier: disable=bzl-visibility
load("//uv/private:planner.bzl", "plan_hub")

_URL = "http://127.0.0.1:9/files"
_SHA = "0" * 64
_HEADER = 'version = 1\nrevision = 3\nrequires-python = ">=3.11"\n\n'

def wheel(name, version, tag = "py3-none-any"):
    """Returns a lock's inline table for a wheel of a test package.

    Args:
      name: distribution name.
      version: its version.
      tag: the wheel's tag triple.

    Returns:
      TOML text.
    """
    filename = "%s-%s-%s.whl" % (name, version, tag)
    return '{ url = "%s/%s", hash = "sha256:%s", size = 1 }' % (_URL, filename, _SHA)

def lock_text(body):
    """Returns a uv.lock text: a standard header, then `body`.

    Args:
      body: the [[package]] tables.

    Returns:
      TOML text.
    """
    return _HEADER + body

def registry_package(name, version, wheels):
    """Returns the [[package]] table of a registry package.

    Args:
      name: its name.
      version: its version.
      wheels: TOML inline tables of its wheels.

    Returns:
      TOML text.
    """
    return '[[package]]\nname = "%s"\nversion = "%s"\nsource = { registry = "%s" }\nwheels = [%s]\n' % (
        name,
        version,
        _URL,
        ", ".join(wheels),
    )

def _plan(text, **kwargs):
    return plan_hub(parse_lock(text, "//:uv.lock"), "pypi", "//:uv.lock", **kwargs)

def _package(plan, label):
    for p in plan["packages"]:
        if p["label"] == label:
            return p
    fail("no package " + label)

def _lock_model_impl(ctx):
    env = unittest.begin(ctx)
    lock = parse_lock(lock_text(registry_package("A_Pkg", "1.0", [wheel("a_pkg", "1.0")])), "//:uv.lock")
    asserts.equals(env, 1, lock["version"])
    asserts.equals(env, ">=3.11", lock["requires_python"])
    (pkg,) = lock["packages"]
    asserts.equals(env, "a-pkg", pkg["name"])
    asserts.equals(env, 1, len(pkg["wheels"]))
    return unittest.end(env)

def _python_versions_impl(ctx):
    env = unittest.begin(ctx)
    plan = _plan(lock_text(registry_package("a", "1.0", [wheel("a", "1.0")])))
    asserts.equals(env, "3.11", plan["default_python_version"])
    asserts.equals(env, "3.11", plan["python_versions"][0])
    return unittest.end(env)

def _git_source_impl(ctx):
    env = unittest.begin(ctx)
    commit = "0123456789abcdef0123456789abcdef01234567"
    plan = _plan(lock_text('[[package]]\nname = "gitpkg"\nversion = "1.0"\n' +
                           'source = { git = "https://example.invalid/repo?rev=main#%s" }\n' % commit))
    pkg = _package(plan, "gitpkg")
    asserts.equals(env, [], pkg["unavailable"])
    (artifact,) = plan["artifacts"]
    asserts.equals(env, "git", artifact.get("kind"))
    asserts.true(env, artifact["git"].endswith("#" + commit), artifact["git"])
    asserts.equals(env, "gitpkg-1.0.tar.gz", artifact["filename"])

    # The archive is built like an sdist, on a machine matching the target.
    asserts.equals(env, 1, len(pkg["builds"]))
    return unittest.end(env)

def _only_used_artifacts_impl(ctx):
    env = unittest.begin(ctx)
    plan = _plan(lock_text(registry_package("a", "1.0", [
        wheel("a", "1.0", "cp27-cp27mu-manylinux1_x86_64"),
        wheel("a", "1.0", "cp311-cp311-manylinux_2_17_x86_64"),
        wheel("a", "1.0"),
    ])))
    names = sorted([a["filename"] for a in plan["artifacts"]])
    asserts.equals(env, ["a-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", "a-1.0-py3-none-any.whl"], names)
    for a in plan["artifacts"]:
        asserts.true(env, a["repo"].startswith("pypi__"), a["repo"])
    return unittest.end(env)

lock_model_test = unittest.make(_lock_model_impl)
python_versions_test = unittest.make(_python_versions_impl)
git_source_test = unittest.make(_git_source_impl)
only_used_artifacts_test = unittest.make(_only_used_artifacts_impl)

def lock_test_suite(name):
    """The lock and planner suite.

    Args:
      name: the test_suite's name.
    """
    unittest.suite(name, lock_model_test, python_versions_test, git_source_test, only_used_artifacts_test)

# Bad locks and bad planner input: [call, texts the failure must contain]. Each failure
# must name the lock, the package or setting and the problem.
LOCK_FAILURES = [
    [["parse_lock", "version = 2\n", "//:uv.lock"], ["uv.lock version 2 is newer than this rules_pyuv"]],
    [["parse_lock", '[tool]\nname = "x"\n', "//:uv.lock"], ["//:uv.lock", 'not a uv.lock: no top-level "version"']],
    [["parse_lock", 'version = 1\n[[package]]\nname = "x\n', "//:uv.lock"], ["//:uv.lock:3:"]],
    [
        ["parse_lock", lock_text(registry_package("a", "1.0", ['{ url = "%s/a-1.0-py3-none-any.whl", hash = "md5:abc" }' % _URL])), "//:uv.lock"],
        ["//:uv.lock", "package", "1.0", "md5:abc", "sha256:"],
    ],
    [
        ["parse_lock", lock_text('[[package]]\nname = "a"\nversion = "1.0"\nsource = { svn = "x" }\n'), "//:uv.lock"],
        ["//:uv.lock", "unknown kind", "svn"],
    ],
    [
        ["plan_lock_text", lock_text(registry_package("a", "1.0", ['{ url = "%s/a-1.0-py3-none-any.whl" }' % _URL])), {}],
        ["a-1.0-py3-none-any.whl has no sha256 hash"],
    ],
    [
        [
            "plan_lock_text",
            lock_text('[[package]]\nname = "gitpkg"\nversion = "1.0"\n' +
                      'source = { git = "https://example.invalid/repo?rev=main#0123456789abcdef" }\n'),
            {},
        ],
        ["gitpkg 1.0", "//:uv.lock", "no full commit id", "could float"],
    ],
    [
        ["plan_lock_text", lock_text(registry_package("a", "1.0", [wheel("a", "1.0")])), {"python_version": "3.9"}],
        ['python_version = "3.9"', "choose one of 3.11, 3.12"],
    ],
    [
        ["plan_lock_text", lock_text(registry_package("a", "1.0", [wheel("a", "1.0")])), {"no_binary_packages": ["nosuch"]}],
        ['no_binary_packages names "nosuch"'],
    ],
    [
        ["plan_lock_text", lock_text(registry_package("a", "1.0", [wheel("a", "1.0")])), {"console_scripts": {"nosuch": ["x"]}}],
        ['console_scripts names package "nosuch"'],
    ],
]
