"""The uv release rules_pyuv runs by default, and the sha256 of its wheel per host."""

# What `uv.tool()` / `uv_tool()` use when the user names no version. The hashes are of the
# wheels the Python index publishes for this version (checked with `pip download` and
# sha256sum when they were pinned); a user who sets `version` gives their own `sha256s`.
DEFAULT_UV_VERSION = "0.13.8"

# Keyed by host (see uv_tool_host.bzl). uv's aarch64 manylinux_2_17 wheel is also tagged
# musllinux_1_1 (one static binary), so both aarch64 Linux hosts pin it.
DEFAULT_UV_SHA256S = {
    "linux_aarch64_gnu": "0b3e8b1a4f5e405e31e2ff33de8af4744831e9f7338539671efbd8c3c94e791d",
    "linux_aarch64_musl": "0b3e8b1a4f5e405e31e2ff33de8af4744831e9f7338539671efbd8c3c94e791d",
    "linux_x86_64_gnu": "e18a57b8b352eb7c8feb317b9f6f533c8f0ad9673fd6cf34bbe3cf1a9f6a8984",
    "linux_x86_64_musl": "29451c60f5e8b07403e0a175d5229efc36b0289b34143ff4aaa499a5dd52553a",
    "macos_aarch64": "62b6943c7fd64fac6854f780bea6e0359e5a5bc3241f83ee357bb38276afac49",
    "macos_x86_64": "b7124ca1956ec2e476a1003ea5715a15f0266afaec37f4dc9c6972ba8183e6d1",
    "windows_aarch64": "b4184029b1b7c54409b9cd4372c73a36ef9c2d1d7cf3b0aca59c8b1932f041dc",
    "windows_x86_64": "cfbc13020a64cdf2f116d2936824c38edbf41e5c07f1ea291baf02e31ebf3ed0",
}
