"""Public rules for BUILD files about uv itself: `uv_lock_test`."""

load("//uv/private:uv_lock_test.bzl", _uv_lock_test = "uv_lock_test")

uv_lock_test = _uv_lock_test
