"""Unit tests of ``uv/private/patch_tool.py``, the hermetic patch applier.

Patches are made at test time by the machine's ``diff`` and ``git`` (the tool itself runs
neither) and every result is compared with what GNU ``patch`` and ``git apply`` make of the
same patch on the same tree, besides the expected contents.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.prerequisites import require

REPO_ROOT = Path(__file__).resolve().parents[1]
TOOL = REPO_ROOT / "uv" / "private" / "patch_tool.py"


def _load():
    spec = importlib.util.spec_from_file_location("rules_pyuv_patch_tool", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pt = _load()


def _need(tool: str) -> str:
    path = shutil.which(tool)
    require(None if path else f"`{tool}` is not installed (needed to make or check patches)")
    return path


def _write_tree(root: Path, files: dict) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return root


def _snapshot(root: Path) -> dict:
    """name -> (sha256, executable) for every file, plus folders, symlinks as targets."""
    out = {}
    for folder, dirs, files in os.walk(root):
        for d in dirs:
            p = Path(folder) / d
            out[p.relative_to(root).as_posix() + "/"] = "link" if p.is_symlink() else "dir"
        for f in files:
            p = Path(folder) / f
            rel = p.relative_to(root).as_posix()
            if p.is_symlink():
                out[rel] = ("link", os.readlink(p))
            else:
                out[rel] = (hashlib.sha256(p.read_bytes()).hexdigest(), os.access(p, os.X_OK))
    return out


def _diff_u(tmp: Path, old: dict, new: dict, name: str = "p.patch", flags=("-ruN",)) -> Path:
    """`diff -ruN a b` of two trees, run inside tmp so the names are a/... and b/..."""
    work = tmp / f"mk-{name}"
    if work.exists():
        shutil.rmtree(work)
    _write_tree(work / "a", old)
    _write_tree(work / "b", new)
    proc = subprocess.run(
        [_need("diff"), *flags, "a", "b"], cwd=work, capture_output=True, env={"LC_ALL": "C"}
    )
    assert proc.returncode in (0, 1), proc.stderr
    patch = tmp / name
    patch.write_bytes(proc.stdout)
    return patch


def _git(cwd: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    env = {
        "HOME": str(cwd),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    proc = subprocess.run([_need("git"), *args], cwd=cwd, capture_output=True, env=env, **kw)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc


def _git_diff(tmp: Path, old: dict, new: dict, name="g.patch", extra=(), setup=None) -> Path:
    """`git diff` from a commit of `old` to the work tree rewritten as `new`."""
    work = tmp / f"git-{name}"
    if work.exists():
        shutil.rmtree(work)
    _write_tree(work, old)
    _git(work, "init", "-q")
    _git(work, "config", "core.autocrlf", "false")
    _git(work, "add", "-A")
    _git(work, "commit", "-qm", "old", "--allow-empty")
    for f in list(work.rglob("*")):
        if f.is_file() and ".git" not in f.relative_to(work).parts:
            f.unlink()
    _write_tree(work, new)
    if setup:
        setup(work)
    _git(work, "add", "-A")
    proc = _git(work, "diff", "--cached", "-M", *extra)
    patch = tmp / name
    patch.write_bytes(proc.stdout)
    return patch


def _apply_both(tmp: Path, files: dict, patch: Path, strip: int = 1, **kw) -> Path:
    """Applies with the tool and with GNU patch; returns the tool's tree after comparing."""
    ours = _write_tree(tmp / "ours", files)
    pt.apply_patches(ours, [patch], strip=strip, package="demo", **kw)
    theirs = _write_tree(tmp / "gnu", files)
    proc = subprocess.run(
        [_need("patch"), f"-p{strip}", "-s", "--no-backup-if-mismatch", "-F0", "-i", str(patch)],
        cwd=theirs,
        capture_output=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _snapshot(ours) == _snapshot(theirs)
    return ours


def _apply_git(tmp: Path, files: dict, patch: Path, strip: int = 1, setup=None) -> Path:
    """Applies with the tool and with `git apply`; returns the tool's tree after comparing."""
    ours = _write_tree(tmp / "ours", files)
    theirs = _write_tree(tmp / "gitapply", files)
    if setup:
        setup(ours)
        setup(theirs)
    pt.apply_patches(ours, [patch], strip=strip, package="demo")
    _git(theirs, "init", "-q")
    _git(theirs, "apply", f"-p{strip}", str(patch))
    shutil.rmtree(theirs / ".git")
    assert _snapshot(ours) == _snapshot(theirs)
    return ours


def _text(n: int, seed: int, prefix: str = "line") -> str:
    rnd = random.Random(seed)
    return "".join(f"{prefix} {i} {rnd.choice(['alpha', 'beta', 'gamma'])}\n" for i in range(n))


# --- Formats -------------------------------------------------------------------------------


def test_diff_u_modify_several_hunks_and_files(tmp_path):
    old_a, old_b = _text(80, 1), _text(30, 2)
    la = old_a.splitlines(keepends=True)
    la[3] = "changed near the top\n"
    la[40:42] = ["middle one\n", "middle two\n", "middle three\n"]
    del la[75]
    new_a = "".join(la)
    new_b = old_b.replace("line 10", "LINE TEN")
    old = {"pkg/a.py": old_a, "pkg/sub/b.txt": old_b, "untouched.txt": "x\n"}
    new = {"pkg/a.py": new_a, "pkg/sub/b.txt": new_b, "untouched.txt": "x\n"}
    patch = _diff_u(tmp_path, old, new)
    assert patch.read_bytes().count(b"\n@@ ") >= 3
    tree = _apply_both(tmp_path, old, patch)
    assert (tree / "pkg/a.py").read_text() == new_a
    assert (tree / "pkg/sub/b.txt").read_text() == new_b


def test_git_diff_with_prefixes_and_strip_levels(tmp_path):
    old = {"src/mod.py": _text(20, 3)}
    new = {"src/mod.py": _text(20, 3).replace("line 5", "line five")}
    patch = _git_diff(tmp_path, old, new)
    assert b"diff --git a/src/mod.py b/src/mod.py" in patch.read_bytes()
    tree = _apply_git(tmp_path, old, patch, strip=1)
    assert (tree / "src/mod.py").read_text() == new["src/mod.py"]
    # --no-prefix patches apply at -p0; -p2 on a tree one level down.
    p0 = _git_diff(tmp_path, old, new, name="p0.patch", extra=("--no-prefix",))
    _apply_both(tmp_path / "p0", old, p0, strip=0)
    deeper = {"mod.py": old["src/mod.py"]}
    tree = _write_tree(tmp_path / "deeper", deeper)
    pt.apply_patches(tree, [patch], strip=2)
    assert (tree / "mod.py").read_text() == new["src/mod.py"]


def test_offset_search_finds_moved_hunks(tmp_path):
    base = _text(60, 4)
    new = base.replace("line 30", "line thirty").replace("line 50", "line fifty")
    patch = _diff_u(tmp_path, {"f.txt": base}, {"f.txt": new})
    # The tree's copy has 7 extra lines at the top and 3 removed before the second hunk.
    lines = base.splitlines(keepends=True)
    shifted = "".join([f"extra {i}\n" for i in range(7)] + lines[:40] + lines[43:])
    tree = _apply_both(tmp_path, {"f.txt": shifted}, patch)
    text = (tree / "f.txt").read_text()
    assert "line thirty" in text and "line fifty" in text and text.startswith("extra 0\n")
    log = pt.apply_patches(_write_tree(tmp_path / "again", {"f.txt": shifted}), [patch])
    assert any("hunk #1 applied with offset +7 lines" in n for n in log), log


def test_offset_search_prefers_the_nearest_match(tmp_path):
    block = "a\nb\nc\nTARGET\nd\ne\nf\n"
    old = "".join(f"filler {i}\n" for i in range(10)) + block + "gap\n" * 20 + block
    new = old.replace("TARGET", "HIT", 1)  # the first copy
    patch = _diff_u(tmp_path, {"f": old}, {"f": new})
    shifted = "pre\n" * 3 + old
    tree = _apply_both(tmp_path, {"f": shifted}, patch)
    assert (tree / "f").read_text() == "pre\n" * 3 + new


def test_new_and_deleted_files_diff_and_git(tmp_path):
    old = {"keep.txt": "k\n", "gone.txt": _text(5, 5), "empty_gone": ""}
    new = {"keep.txt": "k\n", "dir/new.txt": _text(4, 6), "empty_new": ""}
    patch = _diff_u(tmp_path, old, new)
    tree = _apply_both(tmp_path / "u", old, patch)
    assert not (tree / "gone.txt").exists()
    assert (tree / "dir/new.txt").read_text() == new["dir/new.txt"]
    gpatch = _git_diff(tmp_path, old, new)
    assert b"new file mode" in gpatch.read_bytes() and b"deleted file mode" in gpatch.read_bytes()
    tree = _apply_git(tmp_path / "g", old, gpatch)
    assert (tree / "empty_new").read_bytes() == b"" and not (tree / "empty_gone").exists()


def test_deleting_the_last_file_removes_its_folder(tmp_path):
    old = {"a/b/only.txt": "x\n", "top": "t\n"}
    new = {"top": "t\n"}
    tree = _apply_git(tmp_path, old, _git_diff(tmp_path, old, new))
    assert not (tree / "a").exists()


@pytest.mark.parametrize(
    "old,new",
    [
        ("one\ntwo\nthree", "one\ntwo\nthree\n"),  # newline added at the end
        ("one\ntwo\nthree\n", "one\ntwo\nthree"),  # removed
        ("one\ntwo\nthree", "one\n2\nthree"),  # neither side has one
        ("", "no newline"),  # new file without one
    ],
)
def test_no_newline_at_end_of_file(tmp_path, old, new):
    files_old = {"f": old} if old else {}
    patch = _diff_u(tmp_path, files_old, {"f": new})
    assert b"\\ No newline at end of file" in patch.read_bytes()
    tree = _apply_both(tmp_path, files_old, patch)
    assert (tree / "f").read_text() == new
    gpatch = _git_diff(tmp_path, files_old, {"f": new})
    assert (_apply_git(tmp_path / "g", files_old, gpatch) / "f").read_text() == new


def test_crlf_files_keep_their_line_endings(tmp_path):
    old = _text(20, 7).replace("\n", "\r\n")
    new = old.replace("line 3", "line THREE").replace("line 15 ", "inserted\r\nline 15 ")
    patch = _diff_u(tmp_path, {"w.bat": old.encode()}, {"w.bat": new.encode()})
    tree = _apply_both(tmp_path, {"w.bat": old.encode()}, patch)
    assert (tree / "w.bat").read_bytes() == new.encode()
    gpatch = _git_diff(tmp_path, {"w.bat": old.encode()}, {"w.bat": new.encode()})
    assert (_apply_git(tmp_path / "g", {"w.bat": old.encode()}, gpatch) / "w.bat").read_bytes() == (
        new.encode()
    )


def test_a_patch_saved_with_crlf_applies_to_an_lf_file(tmp_path):
    old = _text(12, 8)
    new = old.replace("line 6", "line six")
    patch = _diff_u(tmp_path, {"f": old}, {"f": new})
    patch.write_bytes(patch.read_bytes().replace(b"\n", b"\r\n"))
    tree = _write_tree(tmp_path / "t", {"f": old})
    log = pt.apply_patches(tree, [patch])
    assert (tree / "f").read_text() == new  # LF endings, as the file had
    assert any("line endings differ" in n for n in log)


def test_git_rename_copy_and_mode_change(tmp_path):
    body = _text(40, 9)
    old = {"old/name.py": body, "tool.sh": "#!/bin/sh\necho hi\n", "src.txt": body}

    new = {
        "new/name.py": body.replace("line 20", "line twenty"),
        "tool.sh": "#!/bin/sh\necho hi\n",
        "src.txt": body,
        "copy.txt": body,
    }

    def setup(work: Path):
        (work / "tool.sh").chmod(0o755)

    patch = _git_diff(tmp_path, old, new, setup=setup, extra=("-C", "--find-copies-harder"))
    text = patch.read_bytes()
    assert b"rename from old/name.py" in text and b"new mode 100755" in text
    assert b"\ncopy from " in text and b"\ncopy to copy.txt" in text
    tree = _apply_git(tmp_path, old, patch)
    assert os.access(tree / "tool.sh", os.X_OK)
    assert (tree / "new/name.py").read_text() == new["new/name.py"]
    assert not (tree / "old").exists()
    # A pure rename (100% similar, no hunks) and executable new files.
    patch2 = _git_diff(
        tmp_path,
        {"a.txt": body},
        {"b.txt": body, "run.sh": "#!/bin/sh\n"},
        name="pure.patch",
        setup=lambda w: (w / "run.sh").chmod(0o755),
    )
    assert b"similarity index 100%" in patch2.read_bytes()
    tree = _apply_git(tmp_path / "pure", {"a.txt": body}, patch2)
    assert os.access(tree / "run.sh", os.X_OK) and (tree / "b.txt").read_text() == body
    assert not (tree / "a.txt").exists()


def test_quoted_git_names_with_spaces_and_unicode(tmp_path):
    old = {"dir with space/caf\u00e9.txt": "a\nb\n", "tab\there": "x\n"}
    new = {"dir with space/caf\u00e9.txt": "a\nB\n", "tab\there": "y\n"}
    patch = _git_diff(tmp_path, old, new)
    assert b'"a/tab\\there"' in patch.read_bytes()
    tree = _apply_git(tmp_path, old, patch)
    assert (tree / "dir with space/caf\u00e9.txt").read_text() == "a\nB\n"
    # GNU diff writes names with spaces followed by a tab and the time stamp.
    upatch = _diff_u(tmp_path, old, new, name="u.patch")
    _apply_both(tmp_path / "u", old, upatch)


def test_several_patches_apply_in_order(tmp_path):
    v1 = _text(30, 10)
    v2 = v1.replace("line 10", "line ten")
    v3 = v2.replace("line ten", "line TEN").replace("line 25", "line 25b")
    p1 = _diff_u(tmp_path, {"f": v1}, {"f": v2}, name="1.patch")
    p2 = _diff_u(tmp_path, {"f": v2}, {"f": v3}, name="2.patch")
    tree = _write_tree(tmp_path / "t", {"f": v1})
    pt.apply_patches(tree, [p1, p2])
    assert (tree / "f").read_text() == v3


def test_diff_u_of_two_files_with_different_names(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "conf.py.orig").write_text("a = 1\nb = 2\n")
    (tmp_path / "x" / "conf.py").write_text("a = 1\nb = 3\n")
    proc = subprocess.run(
        [_need("diff"), "-u", "conf.py.orig", "conf.py"], cwd=tmp_path / "x", capture_output=True
    )
    patch = tmp_path / "plain.patch"
    patch.write_bytes(proc.stdout)
    tree = _apply_both(tmp_path, {"conf.py": "a = 1\nb = 2\n"}, patch, strip=0)
    assert (tree / "conf.py").read_text() == "a = 1\nb = 3\n"


def test_zero_context_patches(tmp_path):
    old = _text(30, 11)
    new = old.replace("line 7", "seven").replace("line 20 ", "added\nline 20 ")
    patch = _diff_u(tmp_path, {"f": old}, {"f": new}, flags=("-U0", "-r"))
    assert b"@@ -8 +8 @@" in patch.read_bytes()  # _text counts from 0
    tree = _apply_both(tmp_path, {"f": old}, patch)
    assert (tree / "f").read_text() == new


@pytest.mark.parametrize("seed", range(40))
def test_random_edits_match_gnu_patch(tmp_path, seed):
    rnd = random.Random(seed)
    old, new = {}, {}
    for k in range(rnd.randint(1, 4)):
        lines = _text(rnd.randint(0, 120), seed * 10 + k, prefix=f"f{k}").splitlines(True)
        old[f"d{k % 2}/f{k}.txt"] = "".join(lines)
        for _ in range(rnd.randint(0, 6)):
            op, at = rnd.choice("idr"), rnd.randint(0, len(lines))
            if op == "i":
                lines[at:at] = [f"new {rnd.random()}\n" for _ in range(rnd.randint(1, 3))]
            elif op == "d" and lines:
                del lines[at : at + rnd.randint(1, 3)]
            elif lines:
                lines[min(at, len(lines) - 1)] = f"replaced {rnd.random()}\n"
        if rnd.random() < 0.2 and lines:
            lines[-1] = lines[-1].rstrip("\n")
        if rnd.random() < 0.9:
            new[f"d{k % 2}/f{k}.txt"] = "".join(lines)
    if rnd.random() < 0.5 or new == old:  # (diff -N writes nothing for a new empty file)
        new["added/new.txt"] = _text(rnd.randint(1, 5), seed)
    patch = _diff_u(tmp_path, old, new, flags=(f"-U{rnd.randint(0, 4)}", "-rN"))
    tree = _apply_both(tmp_path, old, patch)
    for name, content in new.items():
        assert (tree / name).read_text() == content
    for name in set(old) - set(new):
        assert not (tree / name).exists()


# --- Failures ------------------------------------------------------------------------------


def test_failing_hunk_names_everything_and_changes_nothing(tmp_path):
    a, b = _text(40, 12), _text(40, 13)
    new = {"a.py": a.replace("line 5", "line five"), "b.py": b.replace("line 30", "thirty")}
    patch = _diff_u(tmp_path, {"a.py": a, "b.py": b}, new, name="fix-things.patch")
    # The tree's b.py differs in the context of the second file's hunk.
    drifted = b.replace("line 29", "line 29 (edited upstream)")
    tree = _write_tree(tmp_path / "t", {"a.py": a, "b.py": drifted})
    before = _snapshot(tree)
    with pytest.raises(pt.PatchError) as e:
        pt.apply_patches(tree, [patch], package="demo-pkg")
    msg = str(e.value)
    assert "package demo-pkg" in msg
    assert "fix-things.patch" in msg and "b.py" in msg
    assert "hunk #1 (@@ -28,7 +28,7 @@" in msg  # _text counts from 0
    assert "line 29 (edited upstream)" in msg  # what was found
    assert "Expected at line 28" in msg
    assert "regenerate it against the version in the lock" in msg
    assert "applied already" not in msg
    assert _snapshot(tree) == before  # a.py, which applied, is unchanged too


def test_already_applied_patch_says_so(tmp_path):
    old = _text(20, 14)
    new = old.replace("line 9", "nine")
    patch = _diff_u(tmp_path, {"f": old}, {"f": new})
    tree = _write_tree(tmp_path / "t", {"f": new})
    with pytest.raises(pt.PatchError, match="applied already") as e:
        pt.apply_patches(tree, [patch], package="p")
    assert "drop the patch" in str(e.value) and "regenerate" not in str(e.value)


def test_fuzz_is_off_by_default_and_can_be_allowed(tmp_path):
    old = _text(20, 15)
    new = old.replace("line 10", "ten")
    patch = _diff_u(tmp_path, {"f": old}, {"f": new})
    drifted = old.replace("line 7 ", "line 7 drift ")  # first context line differs
    tree = _write_tree(tmp_path / "t", {"f": drifted})
    with pytest.raises(pt.PatchError, match="does not apply"):
        pt.apply_patches(tree, [patch])
    log = pt.apply_patches(tree, [patch], fuzz=1)
    assert (tree / "f").read_text() == drifted.replace("line 10", "ten")
    assert any("fuzz 1" in n for n in log)


def test_hunk_with_short_leading_context_must_match_at_the_start(tmp_path):
    old = "first\nsecond\nthird\nfourth\nfifth\n"
    patch = _diff_u(tmp_path, {"f": old}, {"f": old.replace("first", "FIRST")})
    # The same lines later in a file whose start differs: GNU patch refuses too.
    tree = _write_tree(tmp_path / "t", {"f": "zero\n" + old})
    with pytest.raises(pt.PatchError, match="does not apply"):
        pt.apply_patches(tree, [patch])
    gnu = _write_tree(tmp_path / "g", {"f": "zero\n" + old})
    proc = subprocess.run(
        [_need("patch"), "-p1", "-F0", "--dry-run", "-i", str(patch)], cwd=gnu, capture_output=True
    )
    assert proc.returncode != 0


@pytest.mark.parametrize(
    "name",
    ["../evil.txt", "a/../../evil.txt", "/etc/evil", "a\\..\\evil"],
)
def test_names_outside_the_tree_are_refused(tmp_path, name):
    patch = tmp_path / "evil.patch"
    patch.write_text(f"--- /dev/null\n+++ {name}\n@@ -0,0 +1 @@\n+pwned\n")
    tree = _write_tree(tmp_path / "t", {"ok": "x\n"})
    with pytest.raises(pt.PatchError) as e:
        pt.apply_patches(tree, [patch], strip=0, package="p")
    assert "tree" in str(e.value) and "package p" in str(e.value)
    assert not (tmp_path / "evil.txt").exists()


def test_writing_through_a_symlink_is_refused(tmp_path):
    outside = _write_tree(tmp_path / "outside", {"target.txt": "a\n"})
    tree = _write_tree(tmp_path / "t", {"f": "x\n"})
    os.symlink(outside, tree / "linkdir")
    os.symlink(outside / "target.txt", tree / "linkfile")
    for name in ("linkdir/target.txt", "linkfile", "linkdir/new.txt"):
        patch = tmp_path / "l.patch"
        if name.endswith("new.txt"):
            patch.write_text(f"--- /dev/null\n+++ b/{name}\n@@ -0,0 +1 @@\n+b\n")
        else:
            patch.write_text(f"--- a/{name}\n+++ b/{name}\n@@ -1 +1 @@\n-a\n+b\n")
        with pytest.raises(pt.PatchError, match="symbolic link"):
            pt.apply_patches(tree, [patch])
    assert (outside / "target.txt").read_text() == "a\n"
    assert not (outside / "new.txt").exists()


def test_binary_and_symlink_patches_are_refused(tmp_path):
    old = {"data.bin": b"\x00\x01\x02" * 10}
    new = {"data.bin": b"\x00\x01\x03" * 10}
    patch = _git_diff(tmp_path, old, new, extra=("--binary",))
    assert b"GIT binary patch" in patch.read_bytes()
    tree = _write_tree(tmp_path / "t", old)
    with pytest.raises(pt.PatchError, match="binary patches are not supported"):
        pt.apply_patches(tree, [patch], package="p")
    plain = _git_diff(tmp_path, old, new, name="plain.patch")  # "Binary files ... differ"
    with pytest.raises(pt.PatchError, match="binary patches are not supported"):
        pt.apply_patches(tree, [plain])
    link = _git_diff(tmp_path, {}, {}, name="link.patch", setup=lambda w: os.symlink("x", w / "l"))
    with pytest.raises(pt.PatchError, match="symbolic link"):
        pt.apply_patches(tree, [link])


def test_other_diff_formats_and_garbage_are_refused(tmp_path):
    (tmp_path / "a").write_text("1\n2\n3\n")
    (tmp_path / "b").write_text("1\ntwo\n3\n")
    ctx = subprocess.run([_need("diff"), "-c", "a", "b"], cwd=tmp_path, capture_output=True)
    (tmp_path / "c.patch").write_bytes(ctx.stdout)
    tree = _write_tree(tmp_path / "t", {"a": "1\n2\n3\n"})
    with pytest.raises(pt.PatchError, match="context diff"):
        pt.apply_patches(tree, [tmp_path / "c.patch"])
    (tmp_path / "n.patch").write_text("this is not a patch\n")
    with pytest.raises(pt.PatchError, match="no file changes found"):
        pt.apply_patches(tree, [tmp_path / "n.patch"])


def test_truncated_and_malformed_hunks(tmp_path):
    tree = _write_tree(tmp_path / "t", {"f": "1\n2\n3\n"})
    cases = {
        "short.patch": "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n 1\n-2\n",
        "odd.patch": "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n 1\n-2\n?what\n 3\n",
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(pt.PatchError) as e:
            pt.apply_patches(tree, [tmp_path / name])
        assert name in str(e.value) and "hunk #1" in str(e.value)
    assert (tree / "f").read_text() == "1\n2\n3\n"


def test_missing_target_existing_new_file_and_bad_strip(tmp_path):
    tree = _write_tree(tmp_path / "t", {"present": "x\n"})
    p = tmp_path / "p.patch"
    p.write_text("--- a/absent\n+++ b/absent\n@@ -1 +1 @@\n-x\n+y\n")
    with pytest.raises(pt.PatchError, match="absent is not in the tree"):
        pt.apply_patches(tree, [p])
    p.write_text("--- /dev/null\n+++ b/present\n@@ -0,0 +1 @@\n+y\n")
    with pytest.raises(pt.PatchError, match="already exists"):
        pt.apply_patches(tree, [p])
    p.write_text("--- a/present\n+++ b/present\n@@ -1 +1 @@\n-x\n+y\n")
    with pytest.raises(pt.PatchError, match="cannot strip 3"):
        pt.apply_patches(tree, [p], strip=3)
    p.write_text("--- a/present\n+++ /dev/null\n@@ -1 +0,0 @@\n-y\n")
    with pytest.raises(pt.PatchError, match="does not apply"):
        pt.apply_patches(tree, [p])
    assert (tree / "present").read_text() == "x\n"


def test_a_later_failing_patch_leaves_the_earlier_ones_unapplied(tmp_path):
    v1 = _text(10, 16)
    good = _diff_u(tmp_path, {"f": v1}, {"f": v1.replace("line 2", "two")}, name="good.patch")
    bad = _diff_u(tmp_path, {"g": "x\n"}, {"g": "y\n"}, name="bad.patch")
    tree = _write_tree(tmp_path / "t", {"f": v1, "g": "other\n"})
    before = _snapshot(tree)
    with pytest.raises(pt.PatchError, match="bad.patch"):
        pt.apply_patches(tree, [good, bad])
    assert _snapshot(tree) == before


# --- CLI -----------------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-S", str(TOOL), *args], capture_output=True, text=True, timeout=60
    )


def test_cli_applies_and_writes_a_copy_with_out(tmp_path):
    old = _text(10, 17)
    patch = _diff_u(tmp_path, {"f": old}, {"f": old.replace("line 3", "three")})
    tree = _write_tree(tmp_path / "t", {"f": old, "bin/run": "#!/bin/sh\n"})
    (tree / "bin/run").chmod(0o700)
    out = tmp_path / "out"
    proc = _cli("--tree", str(tree), "--patch", str(patch), "--out", str(out), "--package", "x")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert (tree / "f").read_text() == old  # the input is untouched
    assert (out / "f").read_text() == old.replace("line 3", "three")
    assert oct((out / "bin/run").stat().st_mode & 0o777) == oct(0o755)
    assert oct((out / "f").stat().st_mode & 0o777) == oct(0o644)
    proc = _cli("--tree", str(tree), "--patch", str(patch), "--verbose")
    assert proc.returncode == 0, proc.stderr
    assert (tree / "f").read_text() == old.replace("line 3", "three")


def test_cli_failure_is_one_clear_message_without_traceback(tmp_path):
    patch = _diff_u(tmp_path, {"f": "a\n"}, {"f": "b\n"}, name="mypkg-fix.patch")
    tree = _write_tree(tmp_path / "t", {"f": "zzz\n"})
    proc = _cli("--tree", str(tree), "--patch", str(patch), "--package", "mypkg")
    assert proc.returncode == 1
    assert proc.stderr.startswith("rules_pyuv: patching package mypkg failed:")
    assert "mypkg-fix.patch" in proc.stderr and "Traceback" not in proc.stderr
    proc = _cli("--tree", str(tree), "--patch", str(tmp_path / "missing.patch"))
    assert proc.returncode == 1 and "cannot read the patch" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = _cli("--tree", str(tmp_path / "nope"), "--patch", str(patch))
    assert proc.returncode == 1 and "is not a folder" in proc.stderr
    assert _cli("--tree", str(tree)).returncode == 2  # usage


def test_output_is_reproducible(tmp_path):
    old = {"a": _text(30, 18), "b/c": _text(5, 19)}
    new = {"a": _text(30, 18).replace("line 1 ", "one "), "b/d": "new\n"}
    patch = _git_diff(tmp_path, old, new)
    trees = []
    for k in range(2):
        tree = _write_tree(tmp_path / f"t{k}", old)
        pt.apply_patches(tree, [patch])
        trees.append(_snapshot(tree))
        leftovers = [p.name for p in tree.rglob("*") if p.name.startswith(".patch_tool")]
        assert not leftovers and not list(tree.rglob("*.orig")) and not list(tree.rglob("*.rej"))
    assert trees[0] == trees[1]


def test_git_format_patch_mail_with_message_diffstat_and_signature(tmp_path):
    work = _write_tree(tmp_path / "repo", {"m.py": _text(15, 20)})
    _git(work, "init", "-q")
    _git(work, "add", "-A")
    _git(work, "commit", "-qm", "base")
    (work / "m.py").write_text(_text(15, 20).replace("line 4", "--- line 4 +++"))
    (work / "n.py").write_text("-- \nnew\n")
    _git(work, "add", "-A")
    _git(work, "commit", "-qm", "Fix things\n\n--- not a header\n")
    mail = _git(work, "format-patch", "-1", "--stdout").stdout
    assert b"\n---\n" in mail and b" m.py | " in mail  # the diffstat separator
    patch = tmp_path / "0001-fix.patch"
    patch.write_bytes(mail)
    tree = _apply_git(tmp_path, {"m.py": _text(15, 20)}, patch)
    assert (tree / "m.py").read_text() == (work / "m.py").read_text()
    assert (tree / "n.py").read_text() == "-- \nnew\n"
