"""Public WORKSPACE API for uv.lock hubs and the pinned uv (Bazel 4.2 – 6)."""

load("//uv/private:uv_lock.bzl", _uv_lock = "uv_lock")
load("//uv/private:uv_tool.bzl", _uv_tool = "uv_tool")

uv_lock = _uv_lock
uv_tool = _uv_tool
