"""Applies unified diffs to a directory tree, hermetically (mnemonic PyPatch).

    python patch_tool.py --tree DIR --patch FILE [FILE ...] [--strip N] [--package NAME]
                         [--out DIR] [--fuzz N] [--verbose]

Used for a package's `patches`: on the installed tree (after whl_install.py) and on the
unpacked sdist (before build_helper.py builds it). No host `patch` or `git` is run, so the
result is the same on every worker, local or remote.

What is understood
  * `diff -u` / `diff -ruN` output and `git diff` output (`diff --git`, `a/` `b/`
    prefixes, C-quoted names, `index` lines); several files and hunks per patch, several
    patches applied in the order given (a later patch sees the earlier ones' result).
  * New files (`--- /dev/null`, or `diff -N`'s epoch time stamp with an `@@ -0,0` hunk),
    deleted files (`+++ /dev/null`, or the epoch stamp with a `+0,0` hunk: the file must
    end up empty), git renames and copies (`rename from`/`to`, `copy from`/`to`, with or
    without hunks), git mode changes (100644 <-> 100755).
  * `\\ No newline at end of file`, and any line ending: lines are compared as bytes,
    so a patch of a CRLF file applies to that CRLF file. When the patch's line endings
    differ from the file's (a patch re-saved with CRLF), the hunk still applies and the
    added lines take the file's line ending.
  * `--strip N` removes N leading components from every name, like `patch -pN` (default
    1, right for `git diff` and for `diff -u a/... b/...`). Git's `rename from` and
    `copy from` names carry no prefix; N-1 components are stripped from them, as git does.

Where a hunk applies
  A hunk applies where its old lines (context and removed lines) match the file exactly,
  at the line its header names, or else at the nearest line above or below (GNU patch's
  offset search; the whole file is searched, the next hunk expects the same offset and
  never goes back before the end of the previous one). A hunk with less leading context
  than trailing context must match at the start of the file, and one with less trailing
  context at its end, as in GNU patch. There is no fuzz by default: a context line that
  does not match fails the hunk. `--fuzz N` allows ignoring up to N context lines at the
  hunk's start and end (GNU patch's default is 2; here it is 0 because a wrongly placed
  hunk in a dependency fails far from its cause).

Failures
  Anything that does not apply fails the whole run with a message naming the package, the
  patch file, the target file, the hunk number and header, and the lines expected and
  found. Refused: binary patches (`GIT binary patch`, `Binary files ... differ`), symlinks
  (git mode 120000), context and normal diffs, names that are absolute, contain `..` or
  go through a symbolic link in the tree, and files that are not regular files.

Atomic and reproducible
  Every patch is parsed and applied in memory first; the tree is changed only when all of
  them apply, each file replaced through a temporary file in its folder. No `.orig` or
  `.rej` files and no time stamps are written. Modified files keep their mode; new files
  are 0644 (0755 with git's `new file mode 100755`). With `--out DIR`, DIR (which must be
  empty or missing) receives a patched copy of the tree and the tree itself is not touched;
  copied files get 0644 or 0755 by their executable bit, folders 0755.

Exit status 0 when everything applied, 1 with a message on stderr otherwise, 2 for bad
usage. Runs on Python 3.8+ (the minimum of every action tool; docs/sdist-builds.md).

Python API: `parse_patch()` reads a patch into `FilePatch` objects, `apply_patches()`
applies patch files to a tree, `PatchError` carries the message.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import stat
import sys
import tempfile
from pathlib import Path

__all__ = ["FilePatch", "Hunk", "PatchError", "apply_patches", "main", "parse_patch"]

_HUNK_RE = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$")
# `diff -N` writes this time stamp (in the local zone, so 1969-12-31 west of UTC) for the
# missing side of a new or deleted file.
_EPOCH_RE = re.compile(rb"^(1970-01-01|1969-12-31)[ T]\d\d:\d\d:\d\d(\.0+)? ?[-+]\d{4}$")
_GIT_MODES = {b"100644": False, b"100755": True}
# How many lines of expected/found text an error message shows.
_SHOW = 6


class PatchError(Exception):
    """A patch that cannot be read or applied; str() is the complete message."""


class Hunk:
    """One `@@ -a,b +c,d @@` block: old/new line lists of bytes, each with its ending."""

    def __init__(self, number: int, header: str, old_start: int, new_start: int):
        self.number = number  # 1-based within its file section
        self.header = header  # the @@ line, for messages
        self.old_start = old_start
        self.new_start = new_start
        self.lines: list[tuple[bytes, bytes]] = []  # (kind " ", "-" or "+", text)

    @property
    def old(self) -> list[bytes]:
        """The lines the hunk expects in the file (context and removed lines)."""
        return [t for k, t in self.lines if k != b"+"]

    @property
    def new(self) -> list[bytes]:
        """The lines the hunk leaves in their place (context and added lines)."""
        return [t for k, t in self.lines if k != b"-"]

    def context_counts(self) -> tuple[int, int]:
        """Numbers of context lines before the first and after the last change."""
        kinds = [k for k, _ in self.lines]
        lead = 0
        while lead < len(kinds) and kinds[lead] == b" ":
            lead += 1
        trail = 0
        while trail < len(kinds) - lead and kinds[len(kinds) - 1 - trail] == b" ":
            trail += 1
        return lead, trail


class FilePatch:
    """The changes of one file: old and new name (None for /dev/null) and hunks."""

    def __init__(self, patch_name: str):
        self.patch_name = patch_name
        self.old_path: bytes | None = None  # raw names, before --strip
        self.new_path: bytes | None = None
        self.old_missing = False  # /dev/null or diff -N's epoch stamp
        self.new_missing = False
        self.git = False
        self.rename = False
        self.copy = False
        self.old_mode: bool | None = None  # executable bit from git mode lines
        self.new_mode: bool | None = None
        self.hunks: list[Hunk] = []
        self.binary = False
        self.symlink = False

    @property
    def creates(self) -> bool:
        """True when the file does not exist before the patch."""
        return self.old_missing and not self.rename and not self.copy

    @property
    def deletes(self) -> bool:
        """True when the file does not exist after the patch."""
        return self.new_missing


# --- Parsing ---------------------------------------------------------------------------

_C_ESCAPES = {
    b"a": 7,
    b"b": 8,
    b"t": 9,
    b"n": 10,
    b"v": 11,
    b"f": 12,
    b"r": 13,
    b'"': 34,
    b"\\": 92,
}


def _unquote(text: bytes) -> bytes:
    """Undoes git's C-style quoting of a name ("a/caf\\303\\251") when it is quoted."""
    if not (len(text) >= 2 and text.startswith(b'"') and text.endswith(b'"')):
        return text
    out = bytearray()
    body, i = text[1:-1], 0
    while i < len(body):
        c = body[i : i + 1]
        if c != b"\\":
            out += c
            i += 1
            continue
        nxt = body[i + 1 : i + 2]
        if nxt in _C_ESCAPES:
            out.append(_C_ESCAPES[nxt])
            i += 2
        elif re.match(rb"[0-7]{3}", body[i + 1 : i + 4]):
            out.append(int(body[i + 1 : i + 4], 8) & 0xFF)
            i += 4
        else:
            raise ValueError(f"bad escape in quoted name {text!r}")
    return bytes(out)


def _header_name(rest: bytes) -> tuple[bytes, bytes]:
    """Splits the text after `--- `/`+++ ` into the name and the time stamp (if any)."""
    rest = rest.rstrip(b"\r\n")
    if rest.startswith(b'"'):
        end = 1
        while end < len(rest):
            if rest[end : end + 1] == b"\\":
                end += 2
                continue
            if rest[end : end + 1] == b'"':
                break
            end += 1
        return _unquote(rest[: end + 1]), rest[end + 1 :].strip()
    if b"\t" in rest:
        name, stamp = rest.split(b"\t", 1)
        return name, stamp.strip()
    # No tab: git writes the bare name; anything after two spaces is an old-style stamp.
    m = re.match(rb"^(.*?\S)  +(\S.*\d)$", rest)
    if m and re.search(rb"\d\d:\d\d:\d\d", m.group(2)):
        return m.group(1), m.group(2)
    return rest.rstrip(b" "), b""


def _git_names(rest: bytes) -> tuple[bytes, bytes] | None:
    """The two names of `diff --git A B` when they can be told apart."""
    rest = rest.rstrip(b"\r\n")
    if rest.startswith(b'"'):
        first, after = _header_name(rest)
        second = after.strip()
        return first, _unquote(second)
    if rest.endswith(b'"'):
        start = rest.rfind(b' "')
        if start < 0:
            return None
        return rest[:start], _unquote(rest[start + 1 :])
    # Unquoted: both names are the same path with possibly different prefixes; try
    # every space as the separator and keep the split whose halves agree after the prefix.
    for i in range(len(rest)):
        if rest[i : i + 1] == b" ":
            a, b = rest[:i], rest[i + 1 :]
            if a.split(b"/", 1)[-1] == b.split(b"/", 1)[-1]:
                return a, b
    return None


def _line_text(line: bytes) -> str:
    return line.decode("utf-8", "replace").rstrip("\r\n")


def parse_patch(data: bytes, patch_name: str = "<patch>") -> list[FilePatch]:
    """Reads a unified diff (diff -u or git diff) into one FilePatch per file section.

    Raises PatchError for malformed hunks, for context or normal diffs and when the text
    holds no file section at all. Binary patches are parsed (FilePatch.binary) and
    refused when applied.
    """
    lines = data.split(b"\n")
    # split() leaves the ending off; put "\n" back on all but a final unterminated piece.
    lines = [ln + b"\n" for ln in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    files: list[FilePatch] = []
    current: FilePatch | None = None
    saw_context_diff = False
    i = 0

    def fail(msg: str, at: int) -> PatchError:
        return PatchError(f"{patch_name}, line {at + 1}: {msg}")

    while i < len(lines):
        line = lines[i]
        body = line.rstrip(b"\r\n")
        if body.startswith(b"diff --git "):
            current = FilePatch(patch_name)
            current.git = True
            names = _git_names(body[len(b"diff --git ") :])
            if names:
                current.old_path, current.new_path = names
            files.append(current)
            i += 1
            # Extended header lines, up to the first ---, @@ or next diff.
            while i < len(lines):
                h = lines[i].rstrip(b"\r\n")
                if h.startswith((b"--- ", b"diff ", b"@@ ")):
                    break
                if h.startswith(b"new file mode "):
                    current.old_missing = True
                    current.new_mode = _git_mode(current, h.split()[-1])
                elif h.startswith(b"deleted file mode "):
                    current.new_missing = True
                    current.old_mode = _git_mode(current, h.split()[-1])
                elif h.startswith(b"old mode "):
                    current.old_mode = _git_mode(current, h.split()[-1])
                elif h.startswith(b"new mode "):
                    current.new_mode = _git_mode(current, h.split()[-1])
                elif h.startswith((b"rename from ", b"copy from ")):
                    current.rename = h.startswith(b"rename")
                    current.copy = not current.rename
                    current.old_path = b"\0from " + _unquote(h.split(b" ", 2)[2])
                elif h.startswith((b"rename to ", b"copy to ")):
                    current.new_path = b"\0from " + _unquote(h.split(b" ", 2)[2])
                elif h.startswith(b"GIT binary patch") or (
                    h.startswith(b"Binary files ") and h.endswith(b" differ")
                ):
                    current.binary = True
                elif h.startswith(b"index "):
                    parts = h.split()
                    if len(parts) == 3:
                        current.old_mode = current.new_mode = _git_mode(current, parts[2])
                i += 1
            continue
        if body.startswith(b"Binary files ") and body.endswith(b" differ"):
            current = FilePatch(patch_name)
            current.binary = True
            m = re.match(rb"^Binary files (.*) and (.*) differ$", body)
            if m:
                current.old_path, current.new_path = m.group(1), m.group(2)
            files.append(current)
            i += 1
            continue
        if body.startswith(b"*** ") and i + 1 < len(lines) and lines[i + 1].startswith(b"--- "):
            saw_context_diff = True
        if (
            body.startswith(b"--- ")
            and i + 1 < len(lines)
            and lines[i + 1].startswith(b"+++ ")
            and i + 2 < len(lines)
            and lines[i + 2].startswith(b"@@ ")
        ):
            if current is None or not current.git or current.hunks or current.binary:
                current = FilePatch(patch_name)
                files.append(current)
            try:
                old, old_stamp = _header_name(body[4:])
                new, new_stamp = _header_name(lines[i + 1].rstrip(b"\r\n")[4:])
            except ValueError as e:
                raise fail(str(e), i) from None
            if not current.rename and not current.copy:
                current.old_path, current.new_path = old, new
            if old == b"/dev/null":
                current.old_missing, current.old_path = True, None
            elif _EPOCH_RE.match(old_stamp):
                current.old_missing = True
            if new == b"/dev/null":
                current.new_missing, current.new_path = True, None
            elif _EPOCH_RE.match(new_stamp):
                current.new_missing = True
            i += 2
            while i < len(lines) and lines[i].startswith(b"@@ "):
                i = _parse_hunk(current, lines, i, fail)
            # diff -N marks by time stamp only; trust it only with the matching hunk shape.
            if current.old_missing and not current.git and current.old_path is not None:
                current.old_missing = all(h.old_start == 0 and not h.old for h in current.hunks)
            if current.new_missing and not current.git and current.new_path is not None:
                current.new_missing = all(h.new_start == 0 and not h.new for h in current.hunks)
            continue
        i += 1  # anything else (commit message, `diff -ru` command lines, "Only in") is skipped
    for f in files:
        if f.old_path is None and f.new_path is None and not f.binary:
            raise PatchError(f"{patch_name}: a file section names no file")
    if not files:
        if saw_context_diff:
            raise PatchError(
                f"{patch_name}: this is a context diff (`diff -c`); only unified diffs are "
                "applied. Regenerate it with `diff -u` or `git diff`"
            )
        raise PatchError(
            f"{patch_name}: no file changes found; a patch must be a unified diff "
            "(`diff -u`, `diff -ruN` or `git diff` output)"
        )
    return files


def _git_mode(fp: FilePatch, mode: bytes) -> bool | None:
    if mode == b"120000":
        fp.symlink = True
        return None
    if mode in (b"160000", b"040000"):
        fp.binary = True  # submodule or tree: nothing a file patch can do
        return None
    return _GIT_MODES.get(mode)


def _parse_hunk(fp: FilePatch, lines: list[bytes], i: int, fail) -> int:
    header = lines[i].rstrip(b"\r\n")
    m = _HUNK_RE.match(header)
    if not m:
        raise fail(f"malformed hunk header {_line_text(header)!r}", i)
    old_start, new_start = int(m.group(1)), int(m.group(3))
    old_count = 1 if m.group(2) is None else int(m.group(2))
    new_count = 1 if m.group(4) is None else int(m.group(4))
    hunk = Hunk(len(fp.hunks) + 1, _line_text(header), old_start, new_start)
    start = i
    i += 1
    old_seen = new_seen = 0
    while old_seen < old_count or new_seen < new_count:
        if i >= len(lines):
            raise fail(
                f"hunk #{hunk.number} ({hunk.header}) ends early: the header promises "
                f"{old_count} old and {new_count} new lines, the patch ends after "
                f"{old_seen} and {new_seen} (a truncated or hand-edited patch?)",
                start,
            )
        line = lines[i]
        kind = line[:1]
        if line in (b"\n", b"\r\n"):  # an empty context line whose space was trimmed
            kind, text = b" ", line
        elif kind in (b" ", b"-", b"+"):
            text = line[1:]
        elif kind == b"\\":
            i += 1  # a "\ No newline" after the previous hunk's line; nothing to undo here
            continue
        else:
            raise fail(
                f"hunk #{hunk.number} ({hunk.header}): unexpected line "
                f"{_line_text(line)!r}; the header promises {old_count} old and "
                f"{new_count} new lines, only {old_seen} and {new_seen} follow",
                i,
            )
        if kind in (b" ", b"-"):
            old_seen += 1
        if kind in (b" ", b"+"):
            new_seen += 1
        if old_seen > old_count or new_seen > new_count:
            raise fail(f"hunk #{hunk.number} ({hunk.header}) has more lines than it says", i)
        hunk.lines.append((kind, text))
        i += 1
        if i < len(lines) and lines[i].startswith(b"\\"):
            _strip_newline(hunk, fail, i)
            i += 1
    while i < len(lines) and lines[i].startswith(b"\\"):
        _strip_newline(hunk, fail, i)
        i += 1
    fp.hunks.append(hunk)
    return i


def _strip_newline(hunk: Hunk, fail, at: int) -> None:
    """Applies "\\ No newline at end of file" to the hunk's last line."""
    if not hunk.lines:
        raise fail(f"hunk #{hunk.number}: '\\ No newline' before any line", at)
    kind, text = hunk.lines[-1]
    if text.endswith(b"\n"):
        hunk.lines[-1] = (kind, text[:-1])


# --- Names -------------------------------------------------------------------------------


def _strip(name: bytes, strip: int, patch_name: str) -> str:
    """Removes `strip` leading components like patch -pN and checks the result is safe."""
    text = name.decode("utf-8", "surrogateescape")
    parts = [p for p in text.split("/") if p]
    if text.startswith("/") and strip == 0:
        raise PatchError(
            f"{patch_name}: {text!r} is an absolute path; a patch may only name files "
            "inside the tree (relative names)"
        )
    if len(parts) <= strip:
        raise PatchError(
            f"{patch_name}: cannot strip {strip} leading component(s) from {text!r} "
            f"(--strip {strip}); use the strip level the patch was made for (1 for "
            "`git diff` and a/ b/ names, 0 for names relative to the tree)"
        )
    parts = [p for p in parts[strip:] if p != "."]
    if not parts:
        raise PatchError(f"{patch_name}: {text!r} names the tree itself, not a file")
    for p in parts:
        if p == ".." or "\0" in p or "\\" in p:
            raise PatchError(
                f"{patch_name}: {text!r} leaves the tree or is not a plain relative name "
                "(`..`, backslashes and NUL are refused)"
            )
    return "/".join(parts)


def _target_names(fp: FilePatch, strip: int, tree: _Tree) -> tuple[str | None, str | None]:
    """The tree-relative names to read from and to write to (None: nothing there)."""

    def resolve(raw: bytes | None) -> str | None:
        if raw is None:
            return None
        if raw.startswith(b"\0from "):  # rename/copy names carry no a/ b/ prefix
            return _strip(raw[len(b"\0from ") :], max(strip - 1, 0), fp.patch_name)
        return _strip(raw, strip, fp.patch_name)

    old, new = resolve(fp.old_path), resolve(fp.new_path)
    if fp.rename or fp.copy or fp.git:
        src = None if fp.creates else (old or new)
        dst = None if fp.deletes else (new or old)
        return src, dst
    if fp.creates:
        return None, new or old
    if fp.deletes:
        return old or new, None
    if old is None or new is None or old == new:
        name = old or new
        return name, name
    # Two different names (diff -u foo.orig foo): the one that exists, the new one if both.
    name = new if tree.exists(new) or not tree.exists(old) else old
    return name, name


# --- Applying ----------------------------------------------------------------------------


class _Tree:
    """The tree on disk plus the in-memory result of the patches applied so far."""

    def __init__(self, root: Path):
        self.root = root
        self.state: dict[str, tuple[bytes, bool] | None] = {}  # name -> (content, exec)

    def _check_path(self, name: str, patch_name: str) -> Path:
        path = self.root
        for part in name.split("/"):
            path = path / part
            if path.is_symlink():
                raise PatchError(
                    f"{patch_name}: {name} goes through the symbolic link "
                    f"{path.relative_to(self.root).as_posix()} in the tree; patches are "
                    "not applied through links"
                )
        return path

    def exists(self, name: str | None) -> bool:
        if name is None:
            return False
        if name in self.state:
            return self.state[name] is not None
        path = self.root / name
        return path.is_file() and not path.is_symlink()

    def read(self, name: str, patch_name: str) -> tuple[bytes, bool] | None:
        if name in self.state:
            return self.state[name]
        path = self._check_path(name, patch_name)
        if not path.exists():
            return None
        st = path.lstat()
        if not stat.S_ISREG(st.st_mode):
            raise PatchError(f"{patch_name}: {name} in the tree is not a regular file")
        return path.read_bytes(), bool(st.st_mode & 0o111)

    def write(self, name: str, value: tuple[bytes, bool] | None, patch_name: str) -> None:
        self._check_path(name, patch_name)
        parent = name.rsplit("/", 1)[0] if "/" in name else None
        while parent:  # a file cannot also be a folder that new files go into
            if self.state.get(parent) is not None or (self.root / parent).is_file():
                raise PatchError(f"{patch_name}: {name} would be created below the file {parent}")
            parent = parent.rsplit("/", 1)[0] if "/" in parent else None
        if (self.root / name).is_dir():
            raise PatchError(f"{patch_name}: {name} is a folder in the tree, not a file")
        self.state[name] = value


def _split_lines(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    return [ln + b"\n" for ln in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def _loose(line: bytes) -> tuple[bytes, bool]:
    """A line without its ending (\\n or \\r\\n), and whether it had one.

    A last line without a newline also loses a CR: a CRLF patch's "\\ No newline" line
    keeps the CR that diff saw before the LF it removed.
    """
    newline = line.endswith(b"\n")
    body = line[:-1] if newline else line
    return (body[:-1] if body.endswith(b"\r") else body), newline


def _matches(file_lines: list[bytes], at: int, want: list[bytes], loose: bool) -> bool:
    if at < 0 or at + len(want) > len(file_lines):
        return False
    if loose:
        return all(_loose(file_lines[at + j]) == _loose(w) for j, w in enumerate(want))
    return file_lines[at : at + len(want)] == want


def _find(
    file_lines: list[bytes], want: list[bytes], guess: int, lo: int, anchor: str, loose: bool
) -> int | None:
    """The match of `want` nearest to `guess`, not before `lo` (None when there is none)."""
    if anchor == "start":
        return 0 if lo == 0 and _matches(file_lines, 0, want, loose) else None
    if anchor == "end":
        at = len(file_lines) - len(want)
        return at if at >= lo and _matches(file_lines, at, want, loose) else None
    last = len(file_lines) - len(want)  # the last line a match can start at
    for offset in range(0, max(guess - lo, last - guess, 0) + 1):
        for at in (guess + offset, guess - offset) if offset else (guess,):
            if lo <= at <= last and _matches(file_lines, at, want, loose):
                return at
    return None


def _show(lines: list[bytes], first_number: int) -> str:
    if not lines:
        return "      (nothing: the file ends here)"
    out = []
    for j, ln in enumerate(lines[:_SHOW]):
        text = ln.decode("utf-8", "replace")
        ending = "" if text.endswith("\n") else "  [no newline at end of file]"
        text = text[:-1] if text.endswith("\n") else text
        if text.endswith("\r"):
            text, ending = text[:-1], "  [CRLF]" + ending
        out.append(f"  {first_number + j:>5} | {text}{ending}")
    if len(lines) > _SHOW:
        out.append(f"        ... ({len(lines) - _SHOW} more)")
    return "\n".join(out)


def _ending_of(lines: list[bytes]) -> bytes:
    crlf = sum(1 for ln in lines if ln.endswith(b"\r\n"))
    lf = sum(1 for ln in lines if ln.endswith(b"\n")) - crlf
    return b"\r\n" if crlf > lf else b"\n"


def _apply_hunks(fp: FilePatch, content: bytes, where: str, fuzz: int, log: list[str]) -> bytes:
    """Applies fp's hunks to content; `where` describes the file for messages."""
    file_lines = _split_lines(content)
    out: list[bytes] = []
    pos = 0  # everything before pos has been copied to out
    last_offset = 0
    file_ending = _ending_of(file_lines)
    for hunk in fp.hunks:
        lead, trail = hunk.context_counts()
        has_change = any(k != b" " for k, _ in hunk.lines)
        if not has_change:
            continue
        guess = (hunk.old_start - 1 if hunk.old else hunk.old_start) + last_offset
        guess = max(guess, pos)
        found = None
        for f in range(0, fuzz + 1):
            cut_lead, cut_trail = min(f, lead), min(f, trail)
            body = hunk.lines[cut_lead : len(hunk.lines) - cut_trail]
            want = [t for k, t in body if k != b"+"]
            anchor = ""
            if f == 0 and lead < trail and hunk.old_start <= 1:
                anchor = "start"
            elif f == 0 and trail < lead:
                anchor = "end"
            for loose in (False, True):
                at = _find(file_lines, want, guess + cut_lead, pos, anchor, loose)
                if at is not None:
                    found = (at, body, loose, f)
                    break
            if found:
                break
        if found is None:
            raise PatchError(_hunk_failure(fp, hunk, where, file_lines, guess))
        at, body, loose, f = found
        out.extend(file_lines[pos:at])
        j = at
        for kind, text in body:
            if kind == b" ":
                out.append(file_lines[j])  # keep the file's own bytes for context
                j += 1
            elif kind == b"-":
                j += 1
            else:
                if loose:
                    text = _loose(text)[0] + (file_ending if text.endswith(b"\n") else b"")
                out.append(text)
        pos = j
        offset = at - min(f, lead) - (hunk.old_start - 1 if hunk.old else hunk.old_start)
        last_offset = offset
        notes = []
        if offset:
            notes.append(f"offset {offset:+d} lines")
        if f:
            notes.append(f"fuzz {f}")
        if loose:
            notes.append("line endings differ")
        if notes:
            log.append(f"{where}: hunk #{hunk.number} applied with {', '.join(notes)}")
    out.extend(file_lines[pos:])
    return b"".join(out)


def _hunk_failure(
    fp: FilePatch, hunk: Hunk, where: str, file_lines: list[bytes], guess: int
) -> str:
    want = hunk.old
    at = min(max(guess, 0), len(file_lines))
    found = file_lines[at : at + len(want)]
    diff_at = next(
        (j for j in range(min(len(want), len(found))) if want[j] != found[j]),
        min(len(want), len(found)),
    )
    msg = [
        f"hunk #{hunk.number} ({hunk.header}) of {fp.patch_name} does not apply to {where}.",
    ]
    new = hunk.new
    applied = new != want and (
        _find(file_lines, new, guess, 0, "", False) is not None or (not new and not file_lines)
    )
    if applied:
        msg.append(
            "Its result is already in the file: the patch was applied already (or is reversed)."
        )
    msg.append(f"Expected at line {at + 1} (and searched the whole file for):")
    msg.append(_show(want[max(diff_at - 1, 0) :], at + max(diff_at - 1, 0) + 1))
    msg.append("found:")
    msg.append(_show(found[max(diff_at - 1, 0) :], at + max(diff_at - 1, 0) + 1))
    if applied:
        msg.append(
            "If this version of the package already has the change, drop the patch (or "
            "this hunk) for it."
        )
    else:
        msg.append(
            "The patch was made against other contents of this file: regenerate it against "
            "the version in the lock (or use --fuzz for context lines that changed)."
        )
    return "\n".join(msg)


def _apply_one(fp: FilePatch, tree: _Tree, strip: int, fuzz: int, log: list[str]) -> None:
    pn = fp.patch_name
    if fp.binary:
        raise PatchError(
            f"{pn}: binary patches are not supported ({_describe(fp)}); ship the file "
            "through an override instead of a patch, or regenerate the patch without "
            "binary files"
        )
    if fp.symlink:
        raise PatchError(f"{pn}: {_describe(fp)} is a symbolic link change; links are not patched")
    src, dst = _target_names(fp, strip, tree)
    if fp.creates:
        if tree.exists(dst) or (dst is not None and tree.read(dst, pn) is not None):
            raise PatchError(
                f"{pn}: creates {dst}, which already exists in the tree (was the patch "
                "applied already, or does the package ship that file?)"
            )
        content, executable = b"", bool(fp.new_mode)
    else:
        assert src is not None
        current = tree.read(src, pn)
        if current is None:
            raise PatchError(
                f"{pn}: {src} is not in the tree (after --strip {strip}); check the strip "
                "level and that the patch is for this package"
            )
        content, executable = current
        if fp.new_mode is not None and fp.old_mode is not None and fp.new_mode != fp.old_mode:
            executable = fp.new_mode
    where = src or dst or "?"
    content = _apply_hunks(fp, content, where, fuzz, log)
    if fp.deletes:
        if content:
            raise PatchError(
                f"{pn}: deletes {src}, but the file holds more than the patch removes "
                f"({len(_split_lines(content))} line(s) left)"
            )
        tree.write(src, None, pn)
        return
    assert dst is not None
    if fp.rename and src != dst:
        if tree.exists(dst):
            raise PatchError(f"{pn}: renames {src} to {dst}, which already exists")
        tree.write(src, None, pn)
    if fp.copy and tree.exists(dst):
        raise PatchError(f"{pn}: copies {src} to {dst}, which already exists")
    tree.write(dst, (content, executable), pn)


def _describe(fp: FilePatch) -> str:
    names = [n for n in (fp.old_path, fp.new_path) if n]
    return " -> ".join(n.replace(b"\0from ", b"").decode("utf-8", "replace") for n in names) or "?"


def _write_file(path: Path, content: bytes, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=str(path.parent), prefix=".patch_tool.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _remove_empty_parents(folder: Path, root: Path) -> None:
    """Removes folders left empty by deleted files, like git apply does."""
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def _copy_tree(src: Path, dst: Path) -> None:
    """Copies src into the empty dst: files 0644/0755, folders 0755, links as links."""
    for folder, dirs, files in os.walk(src):
        dirs.sort()
        rel = Path(folder).relative_to(src)
        target = dst / rel
        target.mkdir(exist_ok=True)
        os.chmod(target, 0o755)
        for name in sorted(files) + [d for d in dirs if (Path(folder) / d).is_symlink()]:
            s, d = Path(folder) / name, target / name
            if s.is_symlink():
                os.symlink(os.readlink(s), d)
            elif s.is_file():
                shutil.copyfile(s, d)
                os.chmod(d, 0o755 if os.stat(s).st_mode & 0o111 else 0o644)
            else:
                raise PatchError(f"{s} is neither a file, a folder nor a link; cannot copy it")


def apply_patches(
    tree: Path | str,
    patches: list,
    strip: int = 1,
    package: str | None = None,
    fuzz: int = 0,
    out: Path | str | None = None,
) -> list[str]:
    """Applies patch files (paths, in order) to `tree`, all or nothing.

    Args:
      tree: the folder the names in the patches are relative to (after `strip`).
      patches: paths of patch files, applied in this order.
      strip: leading name components to remove, like `patch -pN`.
      package: the package being patched, named in every error.
      fuzz: context lines that may be ignored at each hunk's start and end (0: none).
      out: when given, an empty or missing folder that receives the patched copy; the
        tree is then left as it is.

    Returns:
      Notes about hunks applied with an offset, fuzz or other line endings (for --verbose).

    Raises:
      PatchError: a patch cannot be read or applied; the tree (and `out`) are unchanged.
    """
    tree = Path(tree)
    who = f"package {package}" if package else "the tree"
    log: list[str] = []
    try:
        if not tree.is_dir():
            raise PatchError(f"the tree {tree} is not a folder")
        if strip < 0 or fuzz < 0:
            raise PatchError("--strip and --fuzz must be 0 or more")
        state = _Tree(tree)
        for patch in patches:
            patch = Path(patch)
            try:
                data = patch.read_bytes()
            except OSError as e:
                raise PatchError(f"cannot read the patch {patch}: {e.strerror}") from None
            for fp in parse_patch(data, str(patch)):
                _apply_one(fp, state, strip, fuzz, log)
        if out is not None:
            out = Path(out)
            if out.exists() and (not out.is_dir() or any(out.iterdir())):
                raise PatchError(f"--out {out} must be an empty folder or not exist yet")
            if out.resolve() == tree.resolve() or tree.resolve() in out.resolve().parents:
                raise PatchError(f"--out {out} must not be inside the tree {tree}")
            out.mkdir(parents=True, exist_ok=True)
            _copy_tree(tree, out)
            root = out
        else:
            root = tree
    except PatchError as e:
        raise PatchError(f"patching {who} failed: {e}") from None
    for name in sorted(state.state):
        value = state.state[name]
        path = root / name
        if value is None:
            if path.exists() or path.is_symlink():
                path.unlink()
            _remove_empty_parents(path.parent, root)
            continue
        content, executable = value
        if out is None and path.is_file():
            mode = stat.S_IMODE(path.stat().st_mode)
            mode = (mode | 0o111 & (mode >> 2 | 0o100)) if executable else mode & ~0o111
        else:
            mode = 0o755 if executable else 0o644
        _write_file(path, content, mode)
    return log


# --- Main ----------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="See the module docstring (or docs/patches.md) for the patch formats understood.",
    )
    p.add_argument("--tree", required=True, help="folder the patches apply to")
    p.add_argument(
        "--patch",
        required=True,
        action="extend",
        nargs="+",
        help="patch file(s), applied in the order given (the flag may repeat)",
    )
    p.add_argument("--strip", type=int, default=1, help="like patch -pN (default 1)")
    p.add_argument("--fuzz", type=int, default=0, help="context lines a hunk may ignore (0)")
    p.add_argument("--package", help="the package being patched, named in errors")
    p.add_argument("--out", help="write a patched copy here instead of changing --tree")
    p.add_argument("--verbose", action="store_true", help="report offsets and fuzz used")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        log = apply_patches(args.tree, args.patch, args.strip, args.package, args.fuzz, args.out)
    except PatchError as e:
        print(f"rules_pyuv: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"rules_pyuv: patching failed: {e}", file=sys.stderr)
        return 1
    if args.verbose:
        for note in log:
            print(note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
