"""Support for Gazelle's Python plugin (rules_python's gazelle/ extension).

- `py_modules_manifest`: a `gazelle_python.yaml` mapping the import names of a hub's
  packages to their distributions, with `.update` and `.test` companions.

See docs/gazelle.md.
"""

load(
    "//py/private:modules_manifest.bzl",
    _DEFAULT_EXCLUDE_PATTERNS = "DEFAULT_EXCLUDE_PATTERNS",
    _py_modules_manifest = "py_modules_manifest",
)

DEFAULT_EXCLUDE_PATTERNS = _DEFAULT_EXCLUDE_PATTERNS
py_modules_manifest = _py_modules_manifest
