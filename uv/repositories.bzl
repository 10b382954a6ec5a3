"""Public WORKSPACE API for uv.lock hubs (Bazel 4.2 – 6)."""

load("//uv/private:uv_lock.bzl", _uv_lock = "uv_lock")

uv_lock = _uv_lock
