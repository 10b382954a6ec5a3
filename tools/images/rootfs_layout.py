"""Makes a base image for tests and examples: an OCI image layout from a root file system.

    tools/images/rootfs_layout.py --arch ARCH [--os linux] [--variant V] --out DIR
                                  [--tar ROOTFS.tar|-] [--tag latest] [--env K=V]...

The layout holds one image (one uncompressed layer: the tarball, e.g. a debootstrap root)
with the given platform. A developer tool of tools/images/base-layout and the image tests,
not shipped with the rules: it builds on the rules' own image writer,
py/private/image_tool.py, so its layouts are written the same deterministic way.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "py" / "private"))
import image_tool  # noqa: E402


def rootfs_layout(args: argparse.Namespace) -> None:
    out_dir = Path(args.out)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise image_tool.ImageError(f"{out_dir} exists and is not empty")
    out = image_tool.Layout(out_dir)
    if args.tar == "-":
        digest, size = out.add_stream(sys.stdin.buffer)
    else:
        with open(args.tar, "rb") as f:
            digest, size = out.add_stream(f)
    created = image_tool.rfc3339(args.mtime)
    config = {
        "architecture": args.arch,
        "os": args.os,
        "created": created,
        "config": {
            "Env": image_tool._merge_env(
                [image_tool.DEFAULT_PATH], dict(e.split("=", 1) for e in args.env)
            )
        },
        "rootfs": {"type": "layers", "diff_ids": [digest]},
        "history": [{"created": created, "created_by": "rules_pyuv tools/images/rootfs_layout.py"}],
    }
    if args.variant:
        config["variant"] = args.variant
    manifest = {
        "schemaVersion": 2,
        "mediaType": image_tool.MEDIA_MANIFEST,
        "config": out.add_json(config, image_tool.MEDIA_CONFIG),
        "layers": [{"mediaType": image_tool.MEDIA_LAYER, "digest": digest, "size": size}],
    }
    desc = out.add_json(manifest, image_tool.MEDIA_MANIFEST)
    desc["platform"] = {"architecture": args.arch, "os": args.os}
    if args.variant:
        desc["platform"]["variant"] = args.variant
    desc["annotations"] = {image_tool.REF_NAME: args.tag}
    out.finish([desc])
    print(desc["digest"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", required=True, help="OCI architecture: amd64, arm64, ...")
    parser.add_argument("--os", default="linux")
    parser.add_argument("--variant", default="")
    parser.add_argument("--out", required=True)
    parser.add_argument("--tar", default="-", help="the root file system tarball; - for stdin")
    parser.add_argument("--tag", default="latest")
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE, repeatable")
    parser.add_argument("--mtime", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        rootfs_layout(args)
    except image_tool.ImageError as err:
        print(f"rootfs_layout.py: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
