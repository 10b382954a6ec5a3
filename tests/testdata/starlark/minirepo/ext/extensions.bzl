"""A toy module extension: one hub repository per `lock` tag, one http_file per package."""

load("@bazel_tools//tools/build_defs/repo:http.bzl", "http_file")
load("@minirepo//lib:names.bzl", "normalize")
load("//repo:repo.bzl", "toy_hub")
load(":helpers.bzl", "parse_lock", "repo_name_for")

_lock = tag_class(
    doc = "Declares a hub repository for a lock file.",
    attrs = {
        "name": attr.string(mandatory = True),
        "lockfile": attr.label(mandatory = True, allow_single_file = True),
        "python_version": attr.string(default = "3.11", values = ["3.10", "3.11", "3.12"]),
        "no_binary_packages": attr.string_list(),
    },
)

_override = tag_class(
    attrs = {
        "package": attr.string(mandatory = True),
        "url": attr.string(mandatory = True),
        "sha256": attr.string(),
    },
)

def _toy_impl(module_ctx):
    overrides = {}
    for mod in module_ctx.modules:
        for tag in mod.tags.override:
            overrides[normalize(tag.package)] = tag

    root_hubs = []
    for mod in module_ctx.modules:
        for lock in mod.tags.lock:
            packages = parse_lock(module_ctx.read(lock.lockfile))
            for pkg in packages:
                override = overrides.get(pkg.name)
                http_file(
                    name = repo_name_for(lock.name, pkg.name),
                    urls = [override.url if override else pkg.url],
                    sha256 = override.sha256 if override else pkg.sha256,
                    downloaded_file_path = pkg.filename,
                )
            toy_hub(
                name = lock.name,
                lockfile = lock.lockfile,
                packages = [pkg.name for pkg in packages],
                python_version = lock.python_version,
            )
            if mod.is_root:
                root_hubs.append(lock.name)

    return module_ctx.extension_metadata(
        root_module_direct_deps = root_hubs,
        root_module_direct_dev_deps = [],
        reproducible = True,
    )

toy = module_extension(
    implementation = _toy_impl,
    tag_classes = {"lock": _lock, "override": _override},
)
