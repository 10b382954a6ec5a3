"""Property test: a uv.lock is untrusted input, so no lock text can run or rename targets.

Hundreds of locks are generated from a fixed seed, each valid but with one or two of its
fields replaced: by hostile strings (quotes, backslashes, newlines, control and non-ASCII
characters, `${}`, `$()`, Starlark that would close a string and call fail(), very long
text), by values of the wrong type, or by unusual but valid values (odd name spellings,
local versions, URLs full of `$'()`, markers comparing with quotes and dollars).

Every lock must either
  - fail in lock.bzl with `<lock>:LINE:COL: package '<name>' ...` (or the root key it
    concerns), the line inside the block that holds the bad field, or
  - evaluate in real Bazel 4.2.3 (hub BUILD files, packages.bzl and repositories.bzl) to
    exactly the targets the lock's packages and extras call for.
Failures are checked in the Starlark harness (plus a sample in real Bazel, whose strings
are Latin-1 bytes), successes all in one Bazel workspace with one hub per lock.
Set HOSTILE_SEED to explore other locks.
"""

from __future__ import annotations

import os
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.version import InvalidVersion, Version

from tests.support.bazel import BazelWorkspace
from tests.support.starlark_env import StarlarkEnv, StarlarkFail

REPO_ROOT = Path(__file__).resolve().parents[1]
SEED = int(os.environ.get("HOSTILE_SEED", "20261126"))
CASES = 400
HEX = "0123456789abcdef"
NAME_RE = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")

HOSTILE_PIECES = [
    '"',
    "'",
    "\\",
    "\n",
    "\r",
    "\t",
    "\x00",
    "\x01",
    "\x1b",
    "\x7f",
    " ",
    "#",
    "$",
    "${HOME}",
    "$(rm -rf x)",
    "`id`",
    "{",
    "}",
    "(",
    ")",
    "/",
    "..",
    ":",
    "@",
    "//",
    "é",
    "中",
    "😀",
    "\u2028",
    "\u00a0",
    '")\nfail("injected")\n#',
    '"""',
    "\\n",
    "\\x01",
    "\\001",
    "_envs",
    "_markers",
]
TYPE_CONFUSION = [1, -3, True, [3], ["a", 1], {"x": 1}, 1.5, []]

# Unusual but valid values, per field.
NASTY_VALID = {
    "name": ["Weird.Name_x", "A-B_C.d", "z", "x1--y"],
    "version": ["1.0.post1+Local.7", "1!2.0rc1.dev3", "01.02", "2.0+abc.1.2"],
    "marker": [
        "sys_platform == '$(touch x)'",
        "os_name == '${HOME}' or python_version >= '3.8'",
        "platform_version == '\"); fail(\"x'",
        "platform_machine != '中文'",
        "",
    ],
    "url": [
        "http://127.0.0.1:9/files/$(x)/$y/a'b;c=(d)/",
        "https://user@127.0.0.1:9/f/%24%28x%29/",
        "file:///tmp/wheels/",
    ],
    "extra": ["Extra.One", "cli", "A_b"],
    "registry": ["http://127.0.0.1:9/simple/$(x)", "../wheels dir", "https://127.0.0.1/s"],
    "hash": ["UPPER"],
    "requires_python": [">= 3.11 , <4", ">=3.8", ""],
}


def hostile_string(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.1:
        return rng.choice(HOSTILE_PIECES) * rng.randint(2000, 6000)
    pieces = [rng.choice(HOSTILE_PIECES) for _ in range(rng.randint(1, 4))]
    if rng.random() < 0.5:
        pieces.insert(rng.randint(0, len(pieces)), "abc")
    return "".join(pieces)


def toml_string(text: str) -> str:
    out = ['"']
    for ch in text:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch in "\n\t\r\b\f":
            out.append({"\n": "\\n", "\t": "\\t", "\r": "\\r", "\b": "\\b", "\f": "\\f"}[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def toml_key(key) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_string(key)


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(value)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def label(name: str) -> str:
    return canonical(name).replace("-", "_")


def valid_version(text) -> bool:
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9._+!-]+", text):
        return False
    try:
        Version(text)
    except InvalidVersion:
        return False
    return True


@dataclass
class Case:
    index: int
    text: str = ""
    # Why the lock must be refused (None: it may pass).
    must_fail: str | None = None
    # (first line, last line) of the block holding the mutated field; None for the root.
    block: tuple[int, int] | None = None
    expected_targets: set[str] = field(default_factory=set)

    @property
    def lockfile(self) -> str:
        return f"//locks/h{self.index}:uv.lock"


def _sha(rng: random.Random) -> str:
    return "".join(rng.choice(HEX) for _ in range(64))


def generate(index: int, rng: random.Random) -> Case:
    case = Case(index)
    count = rng.randint(1, 3)
    packages = []
    names = [f"pkg{index}-{j}" for j in range(count)]
    for j, name in enumerate(names):
        pkg = {
            "name": name,
            "version": f"1.{j}.0",
            "source": {"registry": "http://127.0.0.1:9/simple"},
            "dependencies": [{"name": n} for n in names[j + 1 :]],
            "optional-dependencies": {"cli": [{"name": names[0]}]} if rng.random() < 0.4 else {},
            "sdist": {"url": "", "hash": "sha256:" + _sha(rng), "size": 10}
            if rng.random() < 0.5
            else None,
            "wheels": [{"url": "", "hash": "sha256:" + _sha(rng), "size": 20}],
        }
        packages.append(pkg)
    root = {"requires-python": ">=3.11"}

    # One or two mutations: hostile strings, wrong types, or unusual valid values.
    fields = [
        "name",
        "version",
        "registry",
        "url",
        "hash",
        "size",
        "filename",
        "sdist_url",
        "dep_name",
        "marker",
        "extras",
        "extra_key",
        "group_key",
        "resolution_markers",
        "requires_python",
    ]
    mutated = None
    rounds = rng.randint(1, 2) if count > 1 else 1
    # Different packages, so a later mutation never overwrites an earlier one.
    for pkg_index in rng.sample(range(count), rounds):
        what = rng.choice(fields)
        pkg = packages[pkg_index]
        kind = rng.random()
        if kind < 0.45:
            value = hostile_string(rng)
        elif kind < 0.6:
            value = rng.choice(TYPE_CONFUSION)
        else:
            pool = NASTY_VALID.get(
                {
                    "dep_name": "name",
                    "extras": "extra",
                    "extra_key": "extra",
                    "group_key": "extra",
                }.get(what, what)
            )
            value = rng.choice(pool) if pool else hostile_string(rng)
        reason = _apply(what, value, pkg, packages, root, rng)
        if reason and not case.must_fail:
            case.must_fail = reason
            # A renamed package is also refused where its dependents name it.
            mutated = None if what in ("requires_python", "name") else pkg_index

    # Names decide file names: write URLs after the mutations.
    for pkg in packages:
        name = pkg["name"] if isinstance(pkg["name"], str) else "x"
        version = pkg["version"] if isinstance(pkg["version"], str) else "0"
        stem = f"{re.sub(r'[-.]+', '_', name)}-{version}"
        wheel = pkg["wheels"][0]
        if isinstance(wheel, dict) and wheel.get("url") == "":
            wheel["url"] = f"http://127.0.0.1:9/files/{stem}-py3-none-any.whl"
        elif (
            isinstance(wheel, dict)
            and isinstance(wheel.get("url"), str)
            and wheel["url"].endswith("/")
        ):
            wheel["url"] += f"{stem}-py3-none-any.whl"
        sdist = pkg["sdist"]
        if isinstance(sdist, dict) and sdist.get("url") == "":
            sdist["url"] = f"http://127.0.0.1:9/files/{name}-{version}.tar.gz"

    case.text, blocks = _write(root, packages)
    if mutated is not None and rounds == 1:
        case.block = blocks[mutated]
    if not case.must_fail:
        cyclic = _in_cycles(packages)
        for pkg in packages:
            lbl = label(pkg["name"])
            # py_console_script_binary is a macro: `bin` comes with `bin_entry_point`.
            case.expected_targets |= {
                f"//{lbl}:{lbl}",
                f"//{lbl}:whl",
                f"//{lbl}:bin",
                f"//{lbl}:bin_entry_point",
            }
            if lbl in cyclic:
                case.expected_targets.add(f"//{lbl}:_installed")
            if pkg["sdist"] is not None:
                case.expected_targets.add(f"//{lbl}:sdist")
            for extra in pkg["optional-dependencies"]:
                case.expected_targets.add(f"//{lbl}:extra_{label(extra)}")
            # The PEP 503 name, where it is not the label, is a folder of aliases.
            name = canonical(pkg["name"])
            if name != lbl:
                case.expected_targets |= {f"//{name}:{name}", f"//{name}:whl"}
                for extra in pkg["optional-dependencies"]:
                    case.expected_targets.add(f"//{name}:extra_{label(extra)}")
    return case


# Whether each unusual valid marker holds on some target environment.
MARKER_HOLDS = {
    "sys_platform == '$(touch x)'": False,
    "os_name == '${HOME}' or python_version >= '3.8'": True,
    "platform_version == '\"); fail(\"x'": False,
    "platform_machine != '中文'": True,
    "": True,
}


def _in_cycles(packages) -> set[str]:
    """Labels of packages in a dependency cycle of two or more (extras count)."""
    labels = {label(p["name"]) for p in packages}
    edges = {lbl: set() for lbl in labels}
    for pkg in packages:
        deps = list(pkg["dependencies"])
        for extra_deps in pkg["optional-dependencies"].values():
            deps += extra_deps
        for dep in deps:
            if MARKER_HOLDS[dep.get("marker", "")] and label(dep["name"]) in labels:
                edges[label(pkg["name"])].add(label(dep["name"]))
    reach = {a: set(edges[a]) for a in labels}
    for _ in labels:
        for a in labels:
            for b in list(reach[a]):
                reach[a] |= reach[b]
    return {a for a in labels if any(b != a and b in reach[a] and a in reach[b] for b in labels)}


def _rename(packages, old, new) -> None:
    """Keeps dependents pointing at a renamed package, so a valid rename stays valid."""
    for other in packages:
        groups = [other["dependencies"], *other["optional-dependencies"].values()]
        groups += list(other.get("dev-dependencies", {}).values())
        for deps in groups:
            for dep in deps:
                if dep.get("name") == old:
                    dep["name"] = new


def _apply(what, value, pkg, packages, root, rng) -> str | None:
    """Puts value into the field; returns why the lock must be refused, or None."""
    is_str = isinstance(value, str)
    control = is_str and any(ord(c) < 0x20 or ord(c) == 0x7F for c in value)
    if what in ("name", "dep_name"):
        target = pkg if what == "name" or not pkg["dependencies"] else pkg["dependencies"][0]
        if what == "name" and is_str:
            # Two spellings of one name would be one package locked twice: keep them apart.
            taken = {
                canonical(p["name"])
                for p in packages
                if p is not pkg and isinstance(p["name"], str)
            }
            while canonical(value) in taken:
                value += "x"
            _rename(packages, pkg["name"], value)
        target["name"] = value
        if not (is_str and NAME_RE.fullmatch(value)):
            return "invalid name"
        return None
    if what == "version":
        pkg["version"] = value
        return None if valid_version(value) else "invalid version"
    if what == "registry":
        pkg["source"] = {"registry": value}
        return "control character" if control or not is_str else None
    if what in ("url", "sdist_url"):
        art = pkg["wheels"][0] if what == "url" or pkg["sdist"] is None else pkg["sdist"]
        art["url"] = value
        if not is_str:
            return "url type"
        if value in NASTY_VALID["url"]:
            return None
        return "bad url"
    if what == "hash":
        if value == "UPPER":
            pkg["wheels"][0]["hash"] = pkg["wheels"][0]["hash"].upper().replace("SHA256", "sha256")
            return None
        pkg["wheels"][0]["hash"] = value
        return "bad hash"
    if what == "size":
        pkg["wheels"][0]["size"] = value
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return None
        return "bad size"
    if what == "filename":
        pkg["wheels"][0]["filename"] = value
        return "bad filename"
    if what == "marker":
        if not pkg["dependencies"]:
            # A dependency on a package not in the lock is harmless to the planner.
            pkg["dependencies"].append({"name": "not-locked"})
        pkg["dependencies"][0]["marker"] = value
        return None if value in NASTY_VALID["marker"] else "bad marker"
    if what == "extras":
        if not pkg["dependencies"]:
            return None
        pkg["dependencies"][0]["extra"] = [value]
        return None if is_str and NAME_RE.fullmatch(value) else "bad extra"
    if what in ("extra_key", "group_key") and not is_str:
        value, is_str = str(value), True  # TOML keys are always strings
    if what == "extra_key":
        pkg["optional-dependencies"] = {value: [{"name": packages[0]["name"]}]}
        return None if is_str and NAME_RE.fullmatch(value) else "bad extra"
    if what == "group_key":
        pkg["dev-dependencies"] = {value: [{"name": packages[0]["name"]}]}
        return None if is_str and NAME_RE.fullmatch(value) else "bad group"
    if what == "resolution_markers":
        pkg["resolution-markers"] = [value]
        return None if value in NASTY_VALID["marker"] else "bad marker"
    if what == "requires_python":
        root["requires-python"] = value
        return None if value in NASTY_VALID["requires_python"] else "bad requires-python"
    raise AssertionError(what)


def _write(root, packages) -> tuple[str, list[tuple[int, int]]]:
    lines = ["version = 1", "revision = 3"]
    for key, value in root.items():
        lines.append(f"{toml_key(key)} = {toml_value(value)}")
    blocks = []
    for pkg in packages:
        lines.append("")
        start = len(lines) + 1
        lines.append("[[package]]")
        for key in ("name", "version", "source", "resolution-markers"):
            if key in pkg:
                lines.append(f"{key} = {toml_value(pkg[key])}")
        lines.append("dependencies = [")
        lines.extend(f"    {toml_value(d)}," for d in pkg["dependencies"])
        lines.append("]")
        if pkg["sdist"] is not None:
            lines.append(f"sdist = {toml_value(pkg['sdist'])}")
        lines.append("wheels = [")
        lines.extend(f"    {toml_value(w)}," for w in pkg["wheels"])
        lines.append("]")
        for table in ("optional-dependencies", "dev-dependencies"):
            if pkg.get(table):
                lines.append("")
                lines.append(f"[package.{table}]")
                for key, deps in pkg[table].items():
                    lines.append(f"{toml_key(key)} = [")
                    lines.extend(f"    {toml_value(d)}," for d in deps)
                    lines.append("]")
        blocks.append((start, len(lines)))
    return "\n".join(lines) + "\n", blocks


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    rng = random.Random(SEED)
    return [generate(i, rng) for i in range(CASES)]


@pytest.fixture(scope="module")
def outcomes(cases):
    """(case, None or the failure message) per case, from the Starlark harness."""
    env = StarlarkEnv(REPO_ROOT)
    lock = env.load("//uv/private:lock.bzl")
    planner = env.load("//uv/private:planner.bzl")
    render = env.load("//uv/private:hub_render.bzl")
    results = []
    for case in cases:
        try:
            model = lock.parse_lock(case.text, case.lockfile)
            plan = planner.plan_hub(model, f"h{case.index}", case.lockfile)
            render.render_hub(plan)
        except StarlarkFail as err:
            results.append((case, str(err).split("\nTraceback")[0]))
        else:
            results.append((case, None))
    return results


def test_enough_cases_of_each_kind(outcomes):
    failed = [c for c, message in outcomes if message]
    passed = [c for c, message in outcomes if not message]
    assert len(outcomes) >= 300
    assert len(failed) >= 100 and len(passed) >= 60, (len(failed), len(passed))


def test_refusals_name_the_lock_the_line_and_the_package(outcomes):
    for case, message in outcomes:
        if case.must_fail:
            assert message, f"case {case.index} ({case.must_fail}) was accepted:\n{case.text}"
        if not message:
            continue
        m = re.match(
            re.escape(case.lockfile)
            + r":(\d+):(\d+): (package '[^'\n]+'|package #\d+|requires-python|resolution-markers)",
            message,
        )
        assert m, f"case {case.index}: {message[:500]}\n{case.text[:3000]}"
        line = int(m.group(1))
        assert 1 <= line <= len(case.text.splitlines()), message
        if case.block:
            # One mutated field: the message points into the block that holds it.
            first, last = case.block
            assert first <= line <= last, (message, case.block, case.text)
        # Nothing of the hostile text reaches the message raw: one line, no control characters.
        head = message.splitlines()[0]
        assert not any(ord(c) < 0x20 for c in head), repr(head)


def _hub_workspace(
    base: Path, bazel_caches, cases: list[Case], accepted: list[Case]
) -> BazelWorkspace:
    ws = BazelWorkspace(base / "ws", base / "output_base", bazel_caches)
    workspace = ['load("@rules_pyuv//uv:repositories.bzl", "uv_lock")']
    for case in cases:
        (ws.root / f"locks/h{case.index}").mkdir(parents=True, exist_ok=True)
        (ws.root / f"locks/h{case.index}/BUILD.bazel").write_text("")
        (ws.root / f"locks/h{case.index}/uv.lock").write_text(case.text, encoding="utf-8")
        workspace.append(
            f'uv_lock(name = "h{case.index}", lockfile = "{case.lockfile}", '
            'python_version = "3.11")'
        )
    for case in accepted:
        workspace.append(
            f'load("@h{case.index}//:repositories.bzl", '
            f'h{case.index}_install_deps = "install_deps")'
        )
        workspace.append(f"h{case.index}_install_deps()")
    ws.append("WORKSPACE", "\n" + "\n".join(workspace) + "\n")
    return ws


def test_accepted_locks_evaluate_in_bazel_to_exactly_the_expected_targets(
    outcomes, tmp_path_factory, bazel_caches
):
    accepted = [c for c, message in outcomes if not message]
    refused = [c for c, message in outcomes if message]
    for case in accepted:
        assert case.expected_targets, (
            f"case {case.index} passed in the harness but was expected to fail"
        )
    base = tmp_path_factory.mktemp("hostile")
    sample = refused[:: max(1, len(refused) // 12)]
    ws = _hub_workspace(base, bazel_caches, accepted + sample, accepted)
    try:
        query = " + ".join(f"kind(rule, @h{c.index}//...)" for c in accepted)
        (ws.root / "query.txt").write_text(query)
        proc = ws.run("query", "--query_file=query.txt", "--output=label")
        got: dict[int, set[str]] = {c.index: set() for c in accepted}
        for line in proc.stdout.splitlines():
            m = re.match(r"@h(\d+)//([^:]*):(.*)$", line.strip())
            assert m, line
            package = m.group(2)
            if package in ("", "_envs", "_markers", "_explain"):
                continue
            got[int(m.group(1))].add(f"//{package}:{m.group(3)}")
        for case in accepted:
            assert got[case.index] == case.expected_targets, (case.index, case.text)

        # A refused lock fails in Bazel too, with the same file, line and package.
        messages = dict((c.index, msg) for c, msg in outcomes if msg)
        for case in sample:
            proc = ws.run("query", f"@h{case.index}//:all", check=False)
            assert proc.returncode != 0
            expected = re.match(
                r"(\S+:\d+):\d+: (package '[^']*'|package #\d+|[a-z-]+)", messages[case.index]
            )
            assert expected.group(1) + ":" in proc.stderr, (
                messages[case.index],
                proc.stderr[-3000:],
            )
            assert expected.group(2) in proc.stderr, (messages[case.index], proc.stderr[-3000:])
    finally:
        ws.close()
