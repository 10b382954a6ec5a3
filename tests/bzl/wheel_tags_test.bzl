"""Wheel tags (uv/private/wheel_tags.bzl) in Bazel, on vectors computed by `packaging`."""

load("@bazel_skylib//lib:unittest.bzl", "asserts", "unittest")

# The unit under test is private to //uv; its tests load it directly.
# buildifier: disable=bzl-visibility
load("//uv/private:wheel_tags.bzl", "describe_target", "parse_wheel_filename", "select_parsed_wheel", "select_wheel", "tag_priority_map", "target_platform_tags", "target_tags", "wheel_priority")
load(":wheel_tags_vectors.bzl", "WHEEL_TAG_VECTORS")

def _tags_impl(ctx):
    env = unittest.begin(ctx)
    for target, want in WHEEL_TAG_VECTORS["platform_tags"]:
        asserts.equals(env, want, target_platform_tags(target), describe_target(dict(target, python_version = "3.11")))
    for target, want in WHEEL_TAG_VECTORS["target_tags"]:
        asserts.equals(env, want, target_tags(target), describe_target(target))
        asserts.equals(env, {t: i for i, t in reversed(list(enumerate(want)))}, tag_priority_map(target))
    return unittest.end(env)

def _selection_impl(ctx):
    env = unittest.begin(ctx)
    wheel_sets = WHEEL_TAG_VECTORS["wheel_sets"]
    for target, wants in WHEEL_TAG_VECTORS["selections"]:
        priorities = tag_priority_map(target)
        for name, filenames in wheel_sets.items():
            parsed = [parse_wheel_filename(f) for f in filenames]
            where = "%s on %s" % (name, describe_target(target))
            asserts.equals(env, wants[name], select_wheel(filenames, target), where)
            asserts.equals(env, wants[name], select_parsed_wheel(parsed, priorities), where)
    return unittest.end(env)

def _filenames_impl(ctx):
    env = unittest.begin(ctx)
    for filename, name, tags in WHEEL_TAG_VECTORS["wheels"]:
        got = parse_wheel_filename(filename)
        asserts.equals(env, name, got["normalized_name"], filename)
        asserts.equals(env, tags, sorted(got["tags"]), filename)
    target = {"os": "windows", "cpu": "aarch64", "python_version": "3.12"}
    priorities = tag_priority_map(target)
    asserts.equals(env, 0, wheel_priority("x-1.0-cp312-cp312-win_arm64.whl", priorities))
    asserts.equals(env, None, wheel_priority("x-1.0-cp312-cp312-win_amd64.whl", priorities))
    return unittest.end(env)

tags_test = unittest.make(_tags_impl)
selection_test = unittest.make(_selection_impl)
filenames_test = unittest.make(_filenames_impl)

def wheel_tags_test_suite(name):
    """The wheel-tag suite.

    Args:
      name: the test_suite's name.
    """
    unittest.suite(name, tags_test, selection_test, filenames_test)
