"""Writes the Gazelle modules manifest of installed packages (mnemonic PyModulesManifest).

    python modules_manifest.py --hub NAME --out FILE [--label LABEL] [--update-target LABEL]
        [--exclude REGEX]... [--override MODULE=PACKAGE]... --installed TREE MANIFEST...

Each `--installed` pair is one package as whl_install.py installed it: TREE is its folder
(TREE/site-packages/...) and MANIFEST the JSON that lists the installed files. The output
is the `gazelle_python.yaml` that rules_python's Gazelle plugin reads:

    manifest:
      modules_mapping:
        <import name>: <distribution name, as its METADATA spells it>
      pip_repository:
        name: <hub>
    integrity: <sha256 of the `manifest:` section as written>

Gazelle resolves `import a.b.c` by trying `a.b.c`, `a.b`, then `a`, and turns the
distribution name into `@<hub>//<name lower-cased, runs of -_. as _>`, which is the hub's
label of the package. So the mapping only needs, per package, the outermost names it
provides:

- a top-level package (a folder with `__init__.py`) or module (`six.py`, or an extension
  `_speedups.cpython-311-x86_64-linux-gnu.so` / `.pyd`, named up to its first dot);
- below namespace folders (no `__init__.py`, or one that only declares a pkgutil /
  pkg_resources namespace), the first level that is a real package or module:
  `google/cloud/storage/__init__.py` gives `google.cloud.storage`;
- nothing from `*.dist-info`, `*.data`, `__pycache__`, `bin/`, `include/`, `data/`, files
  that are not `.py`/`.so`/`.pyd`, or paths that are not Python identifiers;
- no module matching an --exclude regex (searched in the dotted name; the rule passes
  private names and test/docs/example folders by default);
- type-stub distributions (`types-x`, `x-stubs`, ...) map their own normalized name, as
  Gazelle looks them up by that name.

Two packages providing the same name is an error unless --override picks one. The output
is deterministic: keys sorted, plain YAML scalars quoted when YAML 1.1 would read them as
something other than a string.
"""

from __future__ import annotations

import argparse
import email.parser
import hashlib
import json
import keyword
import re
import sys
from pathlib import Path

# Extensions of files Python imports as modules (sources and extension modules).
_SOURCE_SUFFIX = ".py"
_EXTENSION_SUFFIXES = (".so", ".pyd")
# A namespace __init__.py is small and only declares the namespace.
_NAMESPACE_INIT_MAX = 2048
_NAMESPACE_CALLS = re.compile(rb"\bextend_path\s*\(|\bdeclare_namespace\s*\(")
_STUB_NAME = re.compile(r"^(types|stubs)_|_(types|stubs)$")
# Scalars YAML 1.1 (the go-yaml v2 that Gazelle uses) reads as booleans or null.
_YAML_SPECIAL = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}
_YAML_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


class ManifestError(Exception):
    """A failure the user can act on; its message names the package and the fix."""


def snake_name(name: str) -> str:
    """A distribution name as hub labels (and Gazelle's default normalization) spell it."""
    return re.sub(r"[-_.]+", "_", name).lower().strip("_")


def module_of(parts: list[str]) -> tuple[tuple[str, ...], bool] | None:
    """(dotted parts, is a package's __init__) of a file under site-packages, or None.

    None for files Python would not import by that path: other file types, and paths with
    a component that is not an identifier (metadata folders, `foo-1.0/`, `__pycache__`).
    """
    *dirs, filename = parts
    if filename.endswith(_SOURCE_SUFFIX):
        stem = filename[: -len(_SOURCE_SUFFIX)]
    elif filename.endswith(_EXTENSION_SUFFIXES):
        stem = filename.split(".", 1)[0]
    else:
        return None
    names = [*dirs, stem]
    if any(not n.isidentifier() or keyword.iskeyword(n) or n == "__pycache__" for n in names):
        return None
    if stem == "__init__":
        return (tuple(dirs), True) if dirs else None
    return tuple(names), False


def is_namespace_init(path: Path) -> bool:
    """Whether an __init__.py only declares a pkgutil / pkg_resources namespace."""
    try:
        if path.stat().st_size > _NAMESPACE_INIT_MAX:
            return False
        data = path.read_bytes()
    except OSError:
        return False
    return bool(_NAMESPACE_CALLS.search(data))


def read_distribution_name(tree: Path, files: list[str], package: str) -> str:
    """The Name in the installed .dist-info/METADATA (the manifest's name as fallback)."""
    metadata = [
        f for f in files if re.match(r"^site-packages/[^/]+\.dist-info/METADATA$", f) is not None
    ]
    if len(metadata) != 1:
        return package
    try:
        text = (tree / metadata[0]).read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        raise ManifestError(f"{tree}: cannot read {metadata[0]}: {e}") from None
    name = email.parser.Parser().parsestr(text, headersonly=True).get("Name")
    name = str(name).strip() if name else ""
    if not name or snake_name(name) != snake_name(package):
        return package
    return name


def load_package(tree: Path, manifest: Path) -> dict:
    """{"package", "name", "files"} of one installed package, from whl_install's manifest."""
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ManifestError(f"{manifest}: not a readable install manifest: {e}") from None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("name"), str)
        or not isinstance(data.get("files"), dict)
    ):
        raise ManifestError(f"{manifest}: not an install manifest (no name or files)")
    files = sorted(data["files"])
    for f in files:
        parts = f.split("/")
        if f.startswith("/") or ".." in parts or "" in parts:
            raise ManifestError(f"{manifest}: unsafe path {f!r} in the package's files")
    return {
        "package": data["name"],
        "name": read_distribution_name(tree, files, data["name"]),
        "tree": tree,
        "files": files,
    }


def package_modules(pkg: dict, excludes: list[re.Pattern]) -> list[str]:
    """The outermost import names one installed package provides (see the module doc)."""
    if _STUB_NAME.search(snake_name(pkg["name"])):
        return [snake_name(pkg["name"])]
    packages: set[tuple[str, ...]] = set()
    modules: set[tuple[str, ...]] = set()
    for f in pkg["files"]:
        parts = f.split("/")
        if parts[0] != "site-packages" or len(parts) < 2:
            continue
        found = module_of(parts[1:])
        if found is None:
            continue
        names, is_init = found
        if not is_init:
            modules.add(names)
        elif f.endswith(_SOURCE_SUFFIX) and is_namespace_init(pkg["tree"] / f):
            continue
        else:
            packages.add(names)

    def excluded(names: tuple[str, ...]) -> bool:
        dotted = ".".join(names)
        return any(p.search(dotted) for p in excludes)

    kept_packages = {p for p in packages if not excluded(p)}
    roots = []
    for names in sorted(packages | modules):
        if excluded(names):
            continue
        if any(names[:i] in kept_packages for i in range(1, len(names))):
            continue  # inside a package this distribution already maps
        roots.append(".".join(names))
    return roots


def build_mapping(packages: list[dict], excludes, overrides: dict[str, str], label: str) -> dict:
    """{module: distribution name} over all packages, collisions resolved by overrides."""
    by_snake = {snake_name(p["package"]): p for p in packages}
    providers: dict[str, dict[str, str]] = {}
    for pkg in packages:
        for module in package_modules(pkg, excludes):
            providers.setdefault(module, {})[snake_name(pkg["package"])] = pkg["name"]
    mapping = {}
    for module, override in overrides.items():
        chosen = by_snake.get(snake_name(override))
        if chosen is None:
            raise ManifestError(
                f"{label}: modules_override maps {module!r} to {override!r}, which is not one "
                f"of the packages of deps on this target platform "
                f"({', '.join(sorted(p['package'] for p in packages)) or 'none'}); add it to "
                "deps or fix the name"
            )
        mapping[module] = chosen["name"]
    for module, dists in sorted(providers.items()):
        if module in mapping:
            continue
        if len(dists) > 1:
            names = sorted(dists.values())
            raise ManifestError(
                f"{label}: the import name {module!r} is provided by several packages on "
                f"this target platform ({', '.join(names)}), and Gazelle can map it to one "
                f'only. Pick one with modules_override = {{"{module}": "{names[0]}"}}, or '
                "leave the others out of deps"
            )
        mapping[module] = next(iter(dists.values()))
    return mapping


def yaml_scalar(value: str) -> str:
    """A string as a YAML scalar that YAML 1.1 and 1.2 both read back as that string."""
    if _YAML_PLAIN.match(value) and value.lower() not in _YAML_SPECIAL:
        return value
    return json.dumps(value)


def render(mapping: dict[str, str], hub: str, update_target: str | None) -> str:
    """The gazelle_python.yaml text."""
    header = ["# GENERATED FILE - DO NOT EDIT!", "#"]
    if update_target:
        header += ["# To update this file, run:", f"#   bazel run {update_target}", "#"]
    header += ["# Import names of the packages of the hub, for the Gazelle Python plugin.", ""]
    body = ["manifest:", "  modules_mapping:" + ("" if mapping else " {}")]
    body += [f"    {yaml_scalar(k)}: {yaml_scalar(v)}" for k, v in sorted(mapping.items())]
    body += ["  pip_repository:", f"    name: {yaml_scalar(hub)}"]
    section = "\n".join(body) + "\n"
    integrity = hashlib.sha256(section.encode("utf-8")).hexdigest()
    return "\n".join(header) + "\n" + section + f"integrity: {integrity}\n"


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hub", required=True, help="the hub repository's name, e.g. pypi")
    p.add_argument("--out", required=True, help="the YAML file to write")
    p.add_argument("--label", default="modules manifest", help="target label, for messages")
    p.add_argument("--update-target", help="label of the update runnable, for the header")
    p.add_argument("--exclude", action="append", default=[], help="regex of names to skip")
    p.add_argument("--override", action="append", default=[], help="MODULE=PACKAGE")
    p.add_argument(
        "--installed",
        nargs=2,
        action="append",
        default=[],
        metavar=("TREE", "MANIFEST"),
        help="an installed package tree and its install manifest",
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        excludes = []
        for pattern in args.exclude:
            try:
                excludes.append(re.compile(pattern))
            except re.error as e:
                raise ManifestError(
                    f"{args.label}: exclude_patterns has the invalid regex {pattern!r}: {e}"
                ) from None
        overrides = {}
        for item in args.override:
            module, sep, package = item.partition("=")
            if not sep or not module or not package:
                raise ManifestError(f"{args.label}: bad override {item!r}, want MODULE=PACKAGE")
            overrides[module] = package
        packages = [load_package(Path(t), Path(m)) for t, m in args.installed]
        mapping = build_mapping(packages, excludes, overrides, args.label)
    except ManifestError as e:
        print(f"rules_pyuv: writing the modules manifest failed: {e}", file=sys.stderr)
        return 1
    Path(args.out).write_text(render(mapping, args.hub, args.update_target), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
