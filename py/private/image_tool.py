"""Writes container image layers and OCI image layouts, deterministically (standard library only).

    image_tool.py layer --manifest M.json --out LAYER.tar[.gz] [--compress gzip|none] [--mtime N]
    image_tool.py index --spec SPEC.json --out DIR [--digest-file FILE]

`layer` (mnemonic PyImageLayer) writes one tar layer from a JSON manifest, a list of
``{"dest": "/app/x", "src": "bazel-out/.../x", "dir": false, "mode": "keep"|"bin"}``:
files are copied (symlinks followed), folders (Bazel tree artifacts) walked. Entries are
sorted, every parent folder gets an entry, owners are 0:0 without names, times are
--mtime, folders are 0755 and files 0644 or 0755: with mode "keep" when the input is
executable, with "bin" (an installed package tree) only below its top-level bin/. gzip
output has no name and time in its header. The same inputs give the same bytes.

`index` (mnemonic PyOciIndex) writes an OCI image layout: blobs/sha256/*, oci-layout and
index.json, which names one image index (annotated with the spec's tag) that holds one
image manifest per entry of the spec's "images", each with its platform (with
"platform_tags", index.json also names each manifest "<tag>-<architecture>"). An image is its
base image's layers (taken from an OCI layout: the manifest matching the platform, also
from a multi-platform base) plus its own layers, and a config derived from the base's with
Entrypoint, Cmd, Env, WorkingDir and Labels set and the diff_ids of the new layers. JSON is
written with sorted keys and no spaces, so the same inputs give the same digests.

Base images from a root file system (for tests and examples) are made by a developer
tool beside the image setup, tools/images/rootfs_layout.py, which builds on this module.

Runs on Python 3.8+ (the minimum of every action tool; docs/sdist-builds.md).
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import hashlib
import json
import os
import posixpath
import shutil
import stat
import sys
import tarfile
import tempfile
from pathlib import Path

MEDIA_INDEX = "application/vnd.oci.image.index.v1+json"
MEDIA_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_LAYER = "application/vnd.oci.image.layer.v1.tar"
MEDIA_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
MEDIA_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
# Docker media types of a base image and their OCI equivalents.
DOCKER_TO_OCI = {
    "application/vnd.docker.image.rootfs.diff.tar": MEDIA_LAYER,
    "application/vnd.docker.image.rootfs.diff.tar.gzip": MEDIA_LAYER_GZIP,
    "application/vnd.docker.image.rootfs.diff.tar.zstd": MEDIA_LAYER_ZSTD,
}
REF_NAME = "org.opencontainers.image.ref.name"
DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
CHUNK = 1 << 20


class ImageError(Exception):
    """A problem with the inputs, reported without a traceback."""


# -- layers ---------------------------------------------------------------------------------


def _tar_path(dest: str) -> str:
    """The tar member name of an absolute image path: no leading "/", normalised."""
    norm = posixpath.normpath("/" + dest).lstrip("/")
    if not norm or norm.startswith(".."):
        raise ImageError(f"bad path in the image: {dest!r}")
    return norm


def _is_executable(path: str) -> bool:
    return bool(os.stat(path).st_mode & stat.S_IXUSR)


def collect_layer_entries(manifest: list[dict]) -> dict[str, tuple[str, int]]:
    """Maps every member name to (source file or "" for a folder, mode)."""
    entries: dict[str, tuple[str, int]] = {}

    def add_file(name: str, src: str, mode: int) -> None:
        if name in entries and entries[name] != (src, mode):
            old = entries[name][0] or "a folder"
            raise ImageError(f"two inputs for /{name} in one layer: {old} and {src}")
        entries[name] = (src, mode)
        parent = posixpath.dirname(name)
        while parent:
            if parent in entries and entries[parent][0]:
                raise ImageError(f"/{parent} is both a file and a folder in one layer")
            entries[parent] = ("", 0o755)
            parent = posixpath.dirname(parent)

    for item in manifest:
        name, src = _tar_path(item["dest"]), item["src"]
        policy = item.get("mode", "keep")
        if not item.get("dir"):
            add_file(name, src, 0o755 if _is_executable(src) else 0o644)
            continue
        if not os.path.isdir(src):
            raise ImageError(f"{src} is not a folder")
        found = False
        for dirpath, dirnames, filenames in os.walk(src, followlinks=True):
            dirnames.sort()
            rel_dir = os.path.relpath(dirpath, src)
            for fname in sorted(filenames):
                rel = fname if rel_dir == "." else f"{rel_dir}/{fname}"
                path = os.path.join(dirpath, fname)
                if policy == "bin":
                    mode = 0o755 if rel.startswith("bin/") else 0o644
                else:
                    mode = 0o755 if _is_executable(path) else 0o644
                add_file(f"{name}/{rel}", path, mode)
                found = True
            if not dirnames and not filenames and rel_dir != ".":
                entries.setdefault(f"{name}/{rel_dir}", ("", 0o755))
        if not found:
            entries.setdefault(name, ("", 0o755))
    return entries


def write_layer(manifest: list[dict], out, mtime: int) -> None:
    """Writes the tar stream of a layer to the binary file object `out`."""
    entries = collect_layer_entries(manifest)
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(entries):
            src, mode = entries[name]
            info = tarfile.TarInfo(name)
            info.mtime = mtime
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mode = mode
            if not src:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
                continue
            info.type = tarfile.REGTYPE
            with open(src, "rb") as f:
                info.size = os.fstat(f.fileno()).st_size
                tar.addfile(info, f)


def cmd_layer(args: argparse.Namespace) -> None:
    manifest = json.loads(Path(args.manifest).read_text())
    out = Path(args.out)
    with open(out, "wb") as raw:
        if args.compress == "gzip":
            # No file name and a fixed time in the gzip header: the same bytes every time.
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as gz:
                write_layer(manifest, gz, args.mtime)
        else:
            write_layer(manifest, raw, args.mtime)


# -- OCI layouts ----------------------------------------------------------------------------


def canonical_json(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def rfc3339(epoch: int) -> str:
    # Not datetime.UTC, which needs Python 3.11 (the action tools run on 3.8+).
    when = datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc)  # noqa: UP017
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


class Layout:
    """An OCI image layout being written."""

    def __init__(self, root: Path):
        self.root = root
        self.blobs = root / "blobs" / "sha256"
        self.blobs.mkdir(parents=True, exist_ok=True)

    def add_bytes(self, data: bytes, media_type: str) -> dict:
        digest = hashlib.sha256(data).hexdigest()
        path = self.blobs / digest
        if not path.exists():
            path.write_bytes(data)
        return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data)}

    def add_json(self, value, media_type: str) -> dict:
        return self.add_bytes(canonical_json(value), media_type)

    def add_file(self, src: Path, expect: str | None = None) -> tuple[str, int]:
        """Copies a file in as a blob, hashing it on the way; returns (digest, size)."""
        h = hashlib.sha256()
        size = 0
        with tempfile.NamedTemporaryFile(dir=self.blobs, delete=False) as tmp:
            try:
                with open(src, "rb") as f:
                    while chunk := f.read(CHUNK):
                        h.update(chunk)
                        tmp.write(chunk)
                        size += len(chunk)
                tmp.close()
                digest = f"sha256:{h.hexdigest()}"
                if expect and digest != expect:
                    raise ImageError(
                        f"{src}: content is {digest}, not {expect} as its descriptor says"
                    )
                os.chmod(tmp.name, 0o644)
                os.replace(tmp.name, self.blobs / h.hexdigest())
            except BaseException:
                if os.path.exists(tmp.name):
                    os.unlink(tmp.name)
                raise
        return digest, size

    def add_stream(self, stream) -> tuple[str, int]:
        """A blob from a binary stream; returns (digest, size)."""
        h = hashlib.sha256()
        size = 0
        with tempfile.NamedTemporaryFile(dir=self.blobs, delete=False) as tmp:
            while chunk := stream.read(CHUNK):
                h.update(chunk)
                tmp.write(chunk)
                size += len(chunk)
        os.chmod(tmp.name, 0o644)
        os.replace(tmp.name, self.blobs / h.hexdigest())
        return f"sha256:{h.hexdigest()}", size

    def finish(self, index_descriptors: list[dict]) -> None:
        (self.root / "oci-layout").write_bytes(canonical_json({"imageLayoutVersion": "1.0.0"}))
        index = {"schemaVersion": 2, "mediaType": MEDIA_INDEX, "manifests": index_descriptors}
        (self.root / "index.json").write_bytes(canonical_json(index))


class SourceLayout:
    """An existing OCI image layout, read only."""

    def __init__(self, root: str):
        self.root = Path(root)
        index = self.root / "index.json"
        if not index.is_file():
            raise ImageError(f"{root} is not an OCI image layout: no index.json")
        self.index = json.loads(index.read_text())

    def blob_path(self, digest: str) -> Path:
        algo, _, hexdigest = digest.partition(":")
        path = self.root / "blobs" / algo / hexdigest
        if not path.is_file():
            raise ImageError(f"{self.root}: blob {digest} is missing")
        return path

    def read_json(self, descriptor: dict):
        data = self.blob_path(descriptor["digest"]).read_bytes()
        if f"sha256:{hashlib.sha256(data).hexdigest()}" != descriptor["digest"]:
            raise ImageError(f"{self.root}: blob {descriptor['digest']} does not match its digest")
        return json.loads(data)

    def manifests(self) -> list[tuple[dict, dict, dict]]:
        """Every image manifest reachable from index.json: (descriptor, manifest, config)."""
        found = []
        pending = list(self.index.get("manifests", []))
        seen = set()
        while pending:
            desc = pending.pop(0)
            if desc["digest"] in seen:
                continue
            seen.add(desc["digest"])
            media = desc.get("mediaType", "")
            if media in (MEDIA_INDEX, DOCKER_LIST):
                pending.extend(self.read_json(desc).get("manifests", []))
            elif media in (MEDIA_MANIFEST, DOCKER_MANIFEST):
                manifest = self.read_json(desc)
                config = self.read_json(manifest["config"])
                found.append((desc, manifest, config))
        return found


def _platform_of(desc: dict, config: dict) -> tuple[str, str, str]:
    p = desc.get("platform") or {}
    return (
        p.get("os") or config.get("os", ""),
        p.get("architecture") or config.get("architecture", ""),
        p.get("variant") or config.get("variant", ""),
    )


def select_base(root: str, os_name: str, arch: str, variant: str, label: str):
    """The (manifest, config, layout) of a base layout's image for a platform."""
    layout = SourceLayout(root)
    candidates = layout.manifests()
    if not candidates:
        raise ImageError(f"base image of {label} ({root}) holds no image manifest")
    matching = []
    for desc, manifest, config in candidates:
        m_os, m_arch, m_variant = _platform_of(desc, config)
        if (
            m_os == os_name
            and m_arch == arch
            and (not variant or not m_variant or m_variant == variant)
        ):
            matching.append((m_variant == variant, desc, manifest, config))
    if not matching:
        offered = ", ".join(
            sorted({"/".join(filter(None, _platform_of(d, c))) for d, _, c in candidates})
        )
        want = "/".join(filter(None, (os_name, arch, variant)))
        raise ImageError(
            f"the base image of platform {label} is for {offered}, not for {want}; "
            f"give a base built for {want} (or a multi-platform one that includes it)"
        )
    exact = [m for m in matching if m[0]]
    chosen = (exact or matching)[0]
    if len(exact or matching) > 1:
        raise ImageError(f"the base image of platform {label} has several images for {arch}")
    return chosen[2], chosen[3], layout


# -- interpreter check ----------------------------------------------------------------------


def _layer_reader(path: Path, media_type: str):
    if media_type.endswith("+gzip") or media_type.endswith(".gzip"):
        return tarfile.open(path, mode="r|gz")
    if media_type.endswith("+zstd") or media_type.endswith(".zstd"):
        return None
    return tarfile.open(path, mode="r|")


def _image_tree(layers: list[tuple[Path, str]]) -> dict[str, tuple[str, str]] | None:
    """Path -> (kind, link target) after applying the layers (whiteouts included); None when
    a layer cannot be read (zstd)."""
    tree: dict[str, tuple[str, str]] = {}
    for path, media in layers:
        reader = _layer_reader(path, media)
        if reader is None:
            return None
        with reader:
            for member in reader:
                name = posixpath.normpath("/" + member.name).lstrip("/")
                if not name or name == ".":
                    continue
                base = posixpath.basename(name)
                parent = posixpath.dirname(name)
                if base == ".wh..wh..opq":
                    prefix = parent + "/"
                    for key in [k for k in tree if k.startswith(prefix)]:
                        del tree[key]
                    continue
                if base.startswith(".wh."):
                    gone = posixpath.join(parent, base[4:])
                    for key in [k for k in tree if k == gone or k.startswith(gone + "/")]:
                        del tree[key]
                    continue
                if member.issym():
                    tree[name] = ("link", member.linkname)
                elif member.isdir():
                    tree[name] = ("dir", "")
                else:
                    tree[name] = ("file", "")
    return tree


def _resolve(tree: dict[str, tuple[str, str]], path: str) -> bool:
    """Whether an absolute path names something in the tree, following symlinks."""
    parts = [p for p in path.split("/") if p]
    current: list[str] = []
    hops = 0
    while parts:
        part = parts.pop(0)
        if part == ".":
            continue
        if part == "..":
            if current:
                current.pop()
            continue
        candidate = "/".join([*current, part])
        kind, target = tree.get(candidate, ("", ""))
        if not kind:
            return False
        if kind == "link":
            hops += 1
            if hops > 40:
                return False
            if target.startswith("/"):
                current = []
            parts = [p for p in target.split("/") if p] + parts
            continue
        current.append(part)
    return True


def check_interpreter(layout: SourceLayout, manifest: dict, interpreter: str, label: str) -> None:
    layers = [
        (layout.blob_path(d["digest"]), DOCKER_TO_OCI.get(d["mediaType"], d["mediaType"]))
        for d in manifest.get("layers", [])
    ]
    tree = _image_tree(layers)
    if tree is not None and not _resolve(tree, interpreter):
        raise ImageError(
            f"the base image of platform {label} has no {interpreter}, the interpreter the "
            "program's launcher runs (its Python toolchain's interpreter_path); use a base "
            "image with Python installed there, or set check_interpreter = False"
        )


# -- index ----------------------------------------------------------------------------------


def _layer_media_type(path: str) -> str:
    if path.endswith((".tar.gz", ".tgz")):
        return MEDIA_LAYER_GZIP
    if path.endswith(".tar"):
        return MEDIA_LAYER
    raise ImageError(f"{path}: a layer must be a .tar or .tar.gz file")


def _diff_id(path: str, media_type: str) -> str:
    h = hashlib.sha256()
    opener = gzip.open if media_type == MEDIA_LAYER_GZIP else open
    with opener(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return f"sha256:{h.hexdigest()}"


def _merge_env(base: list[str], extra: dict[str, str]) -> list[str]:
    env = list(base)
    keys = [e.split("=", 1)[0] for e in env]
    for key in sorted(extra):
        item = f"{key}={extra[key]}"
        if key in keys:
            env[keys.index(key)] = item
        else:
            env.append(item)
            keys.append(key)
    return env


def build_image(out: Layout, image: dict, created: str) -> dict:
    """Writes one platform's image (layers, config, manifest); returns its descriptor."""
    label = image["platform_label"]
    os_name, arch, variant = image["os"], image["architecture"], image.get("variant", "")
    layer_descs: list[dict] = []
    if image.get("base"):
        manifest, base_config, base_layout = select_base(
            image["base"], os_name, arch, variant, label
        )
        if image.get("interpreter_path"):
            check_interpreter(base_layout, manifest, image["interpreter_path"], label)
        for desc in manifest.get("layers", []):
            media = DOCKER_TO_OCI.get(desc["mediaType"], desc["mediaType"])
            digest, size = out.add_file(
                base_layout.blob_path(desc["digest"]), expect=desc["digest"]
            )
            new = {"mediaType": media, "digest": digest, "size": size}
            if desc.get("annotations"):
                new["annotations"] = desc["annotations"]
            layer_descs.append(new)
        config = json.loads(json.dumps(base_config))
    else:
        config = {"config": {"Env": [DEFAULT_PATH]}, "rootfs": {"type": "layers", "diff_ids": []}}
    diff_ids = list(config.get("rootfs", {}).get("diff_ids", []))
    if len(diff_ids) != len(layer_descs):
        raise ImageError(
            f"the base image of platform {label} has {len(layer_descs)} layers but "
            f"{len(diff_ids)} diff_ids"
        )
    history = list(config.get("history", []))
    for layer in image["layers"]:
        media = _layer_media_type(layer["path"])
        digest, size = out.add_file(Path(layer["path"]))
        layer_descs.append({"mediaType": media, "digest": digest, "size": size})
        diff_ids.append(_diff_id(layer["path"], media))
        history.append(
            {
                "created": created,
                "created_by": f"rules_pyuv: {layer['name']} layer of {image['source']}",
            }
        )
    config["architecture"] = arch
    config["os"] = os_name
    if variant:
        config["variant"] = variant
    else:
        config.pop("variant", None)
    config["created"] = created
    config["rootfs"] = {"type": "layers", "diff_ids": diff_ids}
    config["history"] = history
    run = config.setdefault("config", {})
    run["Entrypoint"] = image["entrypoint"]
    if image.get("cmd"):
        run["Cmd"] = image["cmd"]
    else:
        run.pop("Cmd", None)
    run["Env"] = _merge_env(run.get("Env") or [DEFAULT_PATH], image.get("env") or {})
    run["WorkingDir"] = image["workdir"]
    if image.get("labels"):
        labels = dict(run.get("Labels") or {})
        labels.update(image["labels"])
        run["Labels"] = labels
    config_desc = out.add_json(config, MEDIA_CONFIG)
    manifest = {
        "schemaVersion": 2,
        "mediaType": MEDIA_MANIFEST,
        "config": config_desc,
        "layers": layer_descs,
    }
    desc = out.add_json(manifest, MEDIA_MANIFEST)
    desc["platform"] = {"architecture": arch, "os": os_name}
    if variant:
        desc["platform"]["variant"] = variant
    return desc


def cmd_index(args: argparse.Namespace) -> None:
    spec = json.loads(Path(args.spec).read_text())
    out_dir = Path(args.out)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out = Layout(out_dir)
    created = rfc3339(spec.get("mtime", 0))
    platforms = {}
    descriptors = []
    for image in spec["images"]:
        desc = build_image(out, image, created)
        key = json.dumps(desc["platform"], sort_keys=True)
        if key in platforms:
            raise ImageError(
                f"platforms {platforms[key]} and {image['platform_label']} both make an image "
                f"for {desc['platform']}"
            )
        platforms[key] = image["platform_label"]
        descriptors.append(desc)
    index = {"schemaVersion": 2, "mediaType": MEDIA_INDEX, "manifests": descriptors}
    if spec.get("annotations"):
        index["annotations"] = spec["annotations"]
    index_desc = out.add_json(index, MEDIA_INDEX)
    tag = spec.get("tag") or "latest"
    index_desc["annotations"] = {REF_NAME: tag}
    top = [index_desc]
    if spec.get("platform_tags"):
        # Also name each platform's manifest, "<tag>-<architecture>[-<variant>]", for
        # tools that cannot choose an image from an index (umoci).
        arches = [d["platform"]["architecture"] for d in descriptors]
        for desc in descriptors:
            p = desc["platform"]
            name = f"{tag}-{p['architecture']}"
            if arches.count(p["architecture"]) > 1 and p.get("variant"):
                name += f"-{p['variant']}"
            top.append({**desc, "annotations": {REF_NAME: name}})
    out.finish(top)
    if args.digest_file:
        Path(args.digest_file).write_text(index_desc["digest"] + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    layer = sub.add_parser("layer", help="write one tar layer from a JSON manifest")
    layer.add_argument("--manifest", required=True)
    layer.add_argument("--out", required=True)
    layer.add_argument("--compress", choices=["gzip", "none"], default="gzip")
    layer.add_argument("--mtime", type=int, default=0)
    index = sub.add_parser("index", help="write a multi-platform OCI image layout")
    index.add_argument("--spec", required=True)
    index.add_argument("--out", required=True)
    index.add_argument("--digest-file")
    args = parser.parse_args(argv)
    try:
        commands = {"layer": cmd_layer, "index": cmd_index}
        commands[args.command](args)
    except ImageError as err:
        print(f"image_tool.py: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
