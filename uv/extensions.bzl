"""Public module extensions (Bazel 7+): `uv` with the `lock` tag."""

load("//uv/private:extension.bzl", _uv = "uv")

uv = _uv
