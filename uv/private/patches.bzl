"""A hub's package patches: the front-door attributes, checked and added to the plan.

The hub is a repository of its own, so a patch label written in the user's WORKSPACE or
MODULE.bazel ("//patches:pkg.patch") would mean the hub's own package there. It is made
absolute here, "@//patches:pkg.patch": `@//` names the main repository from any
repository, in Bazel 4.2 as in 9.
"""

load(":names.bzl", "normalize_name")
load(":text.bzl", "prose")

PATCH_ATTRS = {
    "patch_strip": attr.int(
        default = 1,
        doc = prose("""
            Leading name components removed from the file names in every patch of `patches` and
            `sdist_patches`, like `patch -pN` (1 for `git diff` and `diff -u a/... b/...`).
        """),
    ),
    "patches": attr.string_list_dict(
        doc = prose("""
            Post-install patches per package: {"pkg": ["//patches:pkg.patch"]}, unified diffs
            applied in order to the installed tree (names start with `site-packages/`). Labels
            of the main repository; see docs/patches.md.
        """),
    ),
    "sdist_patches": attr.string_list_dict(
        doc = prose("""
            Pre-build patches per package: {"pkg": ["//patches:pkg-src.patch"]}, unified diffs
            applied in order to the unpacked sdist (or local project) before its wheel is built.
            Labels of the main repository.
        """),
    ),
}

def _absolute(label, hub, attr_name, package):
    if label.startswith("@"):
        return label
    if label.startswith("//"):
        return "@" + label
    fail(("hub \"%s\": %s of package %s: \"%s\" is not an absolute label; write it as " +
          "\"//<package>:<file>\" (a file of the main repository) or \"@<repo>//...\"") %
         (hub, attr_name, package, label))

def _by_package(patches, known, hub, attr_name):
    out = {}
    for name, labels in patches.items():
        package = normalize_name(name)
        if package not in known:
            fail(("hub \"%s\": %s names package \"%s\", which the lock does not hold; use " +
                  "the name of a locked package (known: %s)") %
                 (hub, attr_name, name, ", ".join(sorted(known)[:20]) + ("..." if len(known) > 20 else "")))
        if package in out:
            fail("hub \"%s\": %s names package \"%s\" twice (as another spelling); give its patches once" %
                 (hub, attr_name, package))
        out[package] = [_absolute(label, hub, attr_name, package) for label in labels]
    return out

def add_patches(plan, attrs, hub):
    """Puts each package's patches into the plan: pkg["patches"] and pkg["sdist_patches"].

    Args:
      plan: the plan from plan_hub; changed in place.
      attrs: the uv_lock attributes or the uv.lock tag (PATCH_ATTRS).
      hub: the hub's name, for messages.
    """
    if attrs.patch_strip < 0:
        fail("hub \"%s\": patch_strip must be 0 or more, not %d" % (hub, attrs.patch_strip))
    known = {pkg["name"]: pkg for pkg in plan["packages"]}
    post = _by_package(attrs.patches, known, hub, "patches")
    pre = _by_package(attrs.sdist_patches, known, hub, "sdist_patches")
    for pkg in plan["packages"]:
        pkg["patches"] = post.get(pkg["name"], [])
        pkg["sdist_patches"] = pre.get(pkg["name"], [])
    plan["patch_strip"] = attrs.patch_strip
