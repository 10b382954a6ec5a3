"""Repository rule for one git source of a lock, fetched at exactly the locked commit.

uv records a git source as `source = { git = "<url>?<query>#<commit>" }`: the query holds at
most one of `rev=`, `tag=` or `branch=` (what the user asked for) and `subdirectory=`,
form-encoded (`+` for a space, `%2F` for `/`); the fragment is the full commit id uv resolved.
Only that commit is ever used: a source without a full commit id is refused, and the ref in
the query only helps find the commit when the server does not hand out commits by id.

The rule runs the host's `git` (like Bazel's own git_repository): a bare repository, a
fetch of the commit, a check that the fetched object is that commit, then `git archive` of
its tree (or of `subdirectory`) into `<name>-<version>.tar.gz` with one top-level folder,
which is what sdist_build unpacks. The archive is made from a commit that rules_pyuv
writes with fixed author, dates and message over the locked tree, so its members, times and
owners do not depend on when or where it was fetched; attributes that would change file
contents on the way out (export-ignore, export-subst, eol and filter conversions) are
switched off, so the archive holds the committed bytes. The `.git` folder is not part of it.

The lock is untrusted input (docs/security.md): only https, http, ssh, git and file URLs
are fetched (git's `ext::` and other transports are refused, also through
GIT_ALLOW_PROTOCOL), refs and subdirectories are checked before they reach a command line,
and no credentials are passed: private repositories need the user's own git credential
setup (credential helper, ssh agent), which the host's `git` uses as usual.
"""

load(":artifact.bzl", "write_file_repository")
load(":starlark_quote.bzl", "quote")

_HEX = "0123456789abcdef"

# Printable ASCII in code point order, from 0x20: the characters %XX may stand for.
_PRINTABLE = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"

_SCHEMES = ["https", "http", "ssh", "git", "file"]

# The only query keys uv writes for git sources that rules_pyuv can honour.
_REF_KEYS = ["rev", "tag", "branch"]

# Fixed identity and time (1980-01-01, as sdist_build's SOURCE_DATE_EPOCH) of the commit
# the archive is made from, so the same tree always gives the same archive.
_EPOCH = "315532800 +0000"
_COMMIT_ENV = {
    "GIT_AUTHOR_DATE": _EPOCH,
    "GIT_AUTHOR_EMAIL": "rules_pyuv@localhost",
    "GIT_AUTHOR_NAME": "rules_pyuv",
    "GIT_COMMITTER_DATE": _EPOCH,
    "GIT_COMMITTER_EMAIL": "rules_pyuv@localhost",
    "GIT_COMMITTER_NAME": "rules_pyuv",
}

# Overrides every .gitattributes of the source: the archive holds the committed bytes.
_ATTRIBUTES = "* -export-ignore -export-subst -text -eol -ident -filter -working-tree-encoding\n"

def _is_commit(text):
    return len(text) == 40 and all([c in _HEX for c in text.elems()])

def _hex_value(text):
    text = text.lower()
    if len(text) != 2 or text[0] not in _HEX or text[1] not in _HEX:
        return None
    return _HEX.index(text[0]) * 16 + _HEX.index(text[1])

def _form_decode(text):
    """Decodes application/x-www-form-urlencoded text; returns (text, None) or (None, error).

    Bazel's Starlark has no chr(), so only printable ASCII can be decoded; anything else is
    refused rather than guessed.
    """
    text = text.replace("+", " ")
    out = []
    i = 0
    for _ in range(len(text)):
        if i >= len(text):
            break
        c = text[i]
        if c == "%":
            value = _hex_value(text[i + 1:i + 3])
            if value == None:
                return (None, "%s has a '%%' that is not followed by two hex digits" % quote(text))
            if value < 0x20 or value > 0x7e:
                return (None, ("%s holds an escaped character outside printable ASCII " +
                               "(%%%s), which rules_pyuv does not decode") % (quote(text), text[i + 1:i + 3]))
            out.append(_PRINTABLE[value - 0x20])
            i += 3
        else:
            out.append(c)
            i += 1
    return ("".join(out), None)

def redact_url(url):
    """Returns the URL without user information (`user:password@`), for messages.

    Args:
      url: a URL.

    Returns:
      The URL with anything between `://` and the first `@` of its authority removed.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    end = len(rest)
    for stop in ("/", "?", "#"):
        at = rest.find(stop)
        if at >= 0 and at < end:
            end = at
    authority = rest[:end]
    if "@" not in authority:
        return url
    return scheme + "://" + authority[authority.rfind("@") + 1:] + rest[end:]

def _ref_error(ref):
    # A subset of git check-ref-format, and never something a command line reads as an option.
    if not ref:
        return "is empty"
    if ref.startswith("-") or ref.startswith("/") or ref.endswith("/") or ref.endswith("."):
        return "starts with '-' or '/', or ends with '/' or '.'"
    if ".." in ref or "@{" in ref or "//" in ref or ref.endswith(".lock"):
        return "holds '..', '@{' or '//', or ends with '.lock'"
    for c in ref.elems():
        if c not in _PRINTABLE or c in " ~^:?*[\\":
            return "holds %s, which git does not allow in a ref" % quote(c)
    return None

def _subdirectory_error(path):
    if path.startswith("/") or "\\" in path or ":" in path:
        return "must be a relative path with '/' separators"
    for part in path.split("/"):
        if part in ("", ".", ".."):
            return "must not hold empty, '.' or '..' parts"
    for c in path.elems():
        if c not in _PRINTABLE:
            return "holds a control character"
    return None

def parse_git_source(value):
    """Parses the `source.git` value of a uv.lock package.

    Args:
      value: e.g. "https://host/repo?subdirectory=pkg&tag=v1.0#<40 hex digits>".

    Returns:
      (spec, None) or (None, error). spec is a dict: "url" (what git fetches: the value
      without query and fragment), "commit" (40 lower-case hex digits), "ref_kind" ("rev",
      "tag", "branch" or "" for the default branch), "ref" and "subdirectory" (decoded;
      "" when absent). The error says what is wrong, for a message that adds the package.
    """
    base, hash_sign, commit = value.partition("#")
    if not hash_sign or not _is_commit(commit):
        return (None, ("git source %s has no full commit id (\"#\" and 40 lower-case hex " +
                       "digits at the end), so it could float to another commit; re-lock it " +
                       "with a uv that records the commit (`uv lock`)") % quote(redact_url(value)))
    url, _, query = base.partition("?")
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in _SCHEMES or not rest:
        return (None, ("git source URL %s is not an absolute %s URL; rules_pyuv fetches no " +
                       "other transports") % (quote(redact_url(url)), "/".join(_SCHEMES)))
    for c in url.elems():
        if c not in _PRINTABLE or c == " ":
            return (None, "git source URL %s holds a space or a control character" % quote(redact_url(url)))
    spec = {"commit": commit, "ref": "", "ref_kind": "", "subdirectory": "", "url": url}
    seen = {}
    for pair in (query.split("&") if query else []):
        key, eq, raw = pair.partition("=")
        if not eq or key in seen:
            return (None, "git source %s has a malformed or repeated query part %s" % (
                quote(redact_url(base)),
                quote(pair),
            ))
        seen[key] = True
        decoded, error = _form_decode(raw)
        if error:
            return (None, "git source %s: %s" % (quote(redact_url(base)), error))
        if key in _REF_KEYS:
            if spec["ref_kind"]:
                return (None, "git source %s names more than one of rev, tag and branch" % quote(redact_url(base)))
            error = _ref_error(decoded)
            if error:
                return (None, "git source %s: %s %s %s" % (quote(redact_url(base)), key, quote(decoded), error))
            spec["ref_kind"] = key
            spec["ref"] = decoded
        elif key == "subdirectory":
            decoded = decoded.rstrip("/")
            error = _subdirectory_error(decoded)
            if error:
                return (None, "git source %s: subdirectory %s %s" % (quote(redact_url(base)), quote(decoded), error))
            spec["subdirectory"] = decoded
        else:
            return (None, ("git source %s has the query key %s, which rules_pyuv does not " +
                           "support (it reads rev, tag, branch and subdirectory)") % (
                quote(redact_url(base)),
                quote(key),
            ))
    return (spec, None)

def sdist_stem(package, version):
    """The `<name>-<version>` of the archive made from a git source (PEP 625 style).

    Args:
      package: the PEP 503 name of the package.
      version: its locked version.

    Returns:
      e.g. "my_pkg-1.0.0".
    """
    return package.replace("-", "_").replace(".", "_") + "-" + version

def uv_git_source_kwargs(name, package, version, git, lockfile):
    """The arguments of uv_git_source for one locked package, checked up front.

    Lets a planner refuse a bad git source when it reads the lock rather than when a build
    first needs the package.

    Args:
      name: the repository name.
      package: the package's PEP 503 name.
      version: its locked version.
      git: the lock's `source.git` value.
      lockfile: the lock's label, for messages.

    Returns:
      (kwargs, None) or (None, error naming the package and the fix).
    """
    _, error = parse_git_source(git)
    if error:
        return (None, "%s %s from %s: %s" % (package, version, lockfile, error))
    return ({
        "git": git,
        "lockfile": lockfile,
        "name": name,
        "package": package,
        "version": version,
    }, None)

def _what(rctx, spec):
    where = redact_url(spec["url"]) if spec else "?"
    return "git source of %s %s (%s at %s, from %s)" % (
        rctx.attr.package,
        rctx.attr.version,
        where,
        spec["commit"] if spec else "?",
        rctx.attr.lockfile or "the lock",
    )

def _git(rctx, git, git_dir, args, spec, env = {}):
    environment = {
        # Never wait for a password on a terminal; no transport beyond these.
        "GIT_ALLOW_PROTOCOL": ":".join(_SCHEMES),
        "GIT_TERMINAL_PROMPT": "0",
        "LC_ALL": "C",
    }
    environment.update(env)
    result = rctx.execute(
        [git, "--git-dir=" + git_dir] + args,
        environment = environment,
        timeout = rctx.attr.timeout,
    )

    # git may print the URL it was given; user information never reaches a message.
    url = spec["url"]
    result_text = (result.stderr + result.stdout).replace(url, redact_url(url)).strip()
    return struct(ok = result.return_code == 0, out = result.stdout.strip(), text = result_text)

def _fetch(rctx, git, git_dir, spec, what):
    """Fetches the locked commit; returns what it was fetched by, or fails."""
    url, commit = spec["url"], spec["commit"]

    # 1. By id, shallow: servers that allow it (most do) send just that commit's tree.
    first = _git(rctx, git, git_dir, ["fetch", "--no-tags", "--depth=1", "--", url, commit], spec)
    if first.ok and _git(rctx, git, git_dir, ["cat-file", "-e", commit + "^{commit}"], spec).ok:
        return "the commit id"

    # 2. The ref the lock names (or the default branch), whole history: the commit must be
    # reachable from it.
    refspec = {
        "": "HEAD",
        "branch": "refs/heads/" + spec["ref"],
        "rev": spec["ref"],
        "tag": "refs/tags/" + spec["ref"],
    }[spec["ref_kind"]]
    ref_text = {
        "": "the default branch",
        "branch": "branch " + spec["ref"],
        "rev": "rev " + spec["ref"],
        "tag": "tag " + spec["ref"],
    }[spec["ref_kind"]]
    second = _git(rctx, git, git_dir, ["fetch", "--no-tags", "--", url, refspec], spec)
    tip = None
    if second.ok:
        tip = _git(rctx, git, git_dir, ["rev-parse", "--verify", "FETCH_HEAD^{commit}"], spec).out
        if _git(rctx, git, git_dir, ["merge-base", "--is-ancestor", commit, "FETCH_HEAD"], spec).ok:
            # Fixed text: it ends up in a generated BUILD file's comment.
            return "the locked " + (spec["ref_kind"] or "default branch")

    # 3. Every branch and tag (a short `rev=` is no ref): in this fresh repository any
    # commit present came from one of them.
    third = _git(rctx, git, git_dir, [
        "fetch",
        "--no-tags",
        "--",
        url,
        "+refs/heads/*:refs/remotes/origin/*",
        "+refs/tags/*:refs/tags/*",
    ], spec)
    if third.ok and _git(rctx, git, git_dir, ["cat-file", "-e", commit + "^{commit}"], spec).ok:
        return "all branches and tags"
    if not (first.ok or second.ok or third.ok):
        fail(("rules_pyuv: could not fetch the %s: git failed. Check that the URL is right " +
              "and reachable from this machine; for a private repository, set up git's own " +
              "credentials for it (a credential helper, ~/.git-credentials or an ssh agent: " +
              "rules_pyuv passes none).\n%s") % (what, first.text or second.text or third.text))
    now = (" (%s now points at %s)" % (ref_text, tip)) if tip else ""
    fail(("rules_pyuv: the %s: commit %s is not in the repository at %s, not even reachable " +
          "from %s or any branch or tag%s. The history was probably rewritten after the lock " +
          "was made: re-lock it (`uv lock --upgrade-package %s`), or point the source at a " +
          "repository that has the commit.") % (
        what,
        commit,
        redact_url(url),
        ref_text,
        now,
        rctx.attr.package,
    ))

def _uv_git_source_impl(rctx):
    spec, error = parse_git_source(rctx.attr.git)
    if error:
        fail("rules_pyuv: %s %s from %s: %s" % (
            rctx.attr.package,
            rctx.attr.version,
            rctx.attr.lockfile or "the lock",
            error,
        ))
    what = _what(rctx, spec)
    for text, kind in ((rctx.attr.package, "package name"), (rctx.attr.version, "version")):
        if not text or not all([c.isalnum() or c in "._-+!" for c in text.elems()]):
            fail("rules_pyuv: %s: the %s %s is not usable in a file name" % (what, kind, quote(text)))
    commit = spec["commit"]
    git = rctx.which("git")
    if not git:
        fail(("rules_pyuv: the %s needs the `git` program, which is not on this machine's " +
              "PATH: install git (e.g. `apt-get install git`) or put it on PATH for Bazel.") % what)
    git = str(git)
    git_dir = str(rctx.path("_pyuv_git"))
    rctx.report_progress("Fetching %s %s from %s at %s" % (
        rctx.attr.package,
        rctx.attr.version,
        redact_url(spec["url"]),
        commit[:12],
    ))
    init = rctx.execute([git, "init", "--bare", "--quiet", git_dir], environment = {"LC_ALL": "C"})
    if init.return_code != 0:
        fail("rules_pyuv: the %s: `git init` failed:\n%s" % (what, init.stderr))
    fetched_by = _fetch(rctx, git, git_dir, spec, what)

    resolved = _git(rctx, git, git_dir, ["rev-parse", "--verify", commit + "^{commit}"], spec).out
    if resolved != commit:
        fail(("rules_pyuv: the %s: the locked id %s is not a commit (it resolves to %s), e.g. " +
              "the id of an annotated tag. Re-lock it with `uv lock --upgrade-package %s` so the " +
              "lock records the commit.") % (what, commit, resolved or "nothing", rctx.attr.package))

    # Pin HEAD to the commit and read it back: the archive is made from exactly this.
    _git(rctx, git, git_dir, ["update-ref", "--no-deref", "HEAD", commit], spec)
    head = _git(rctx, git, git_dir, ["rev-parse", "--verify", "HEAD"], spec).out
    if head != commit:
        fail("rules_pyuv: the %s: HEAD is %s after checking out the locked commit %s." % (
            what,
            head or "nothing",
            commit,
        ))

    tree = _git(rctx, git, git_dir, ["rev-parse", "--verify", "HEAD^{tree}"], spec).out
    if spec["subdirectory"]:
        sub = _git(rctx, git, git_dir, ["rev-parse", "--verify", "--quiet", commit + ":" + spec["subdirectory"]], spec)
        kind = _git(rctx, git, git_dir, ["cat-file", "-t", sub.out], spec).out if sub.ok and sub.out else ""
        if kind != "tree":
            fail(("rules_pyuv: the %s: commit %s has no directory %s (subdirectory= of the " +
                  "lock). Fix the `subdirectory` of the source in pyproject.toml and re-lock.") %
                 (what, commit, quote(spec["subdirectory"])))
        tree = sub.out
    project = "subdirectory %s" % quote(spec["subdirectory"]) if spec["subdirectory"] else "the repository root"
    if not (_git(rctx, git, git_dir, ["cat-file", "-e", tree + ":pyproject.toml"], spec).ok or
            _git(rctx, git, git_dir, ["cat-file", "-e", tree + ":setup.py"], spec).ok):
        fail(("rules_pyuv: the %s: %s has no pyproject.toml or setup.py, so it is no Python " +
              "project; set the source's `subdirectory` to the project's folder and re-lock.") %
             (what, project))

    # Submodules would come out as empty folders; refuse rather than build half a project.
    listing = _git(rctx, git, git_dir, ["ls-tree", "-r", tree], spec)
    for line in listing.out.splitlines():
        if line.startswith("160000 "):
            fail(("rules_pyuv: the %s has a git submodule (%s), which rules_pyuv does not fetch. " +
                  "Lock a wheel or sdist of the package instead.") % (what, line.partition("\t")[2]))

    rctx.file("_pyuv_git/info/attributes", _ATTRIBUTES, executable = False)
    synthetic = _git(
        rctx,
        git,
        git_dir,
        ["-c", "commit.gpgSign=false", "commit-tree", tree, "-m", "rules_pyuv: %s of %s" % (project, commit)],
        spec,
        env = _COMMIT_ENV,
    )
    if not synthetic.ok:
        fail("rules_pyuv: the %s: `git commit-tree` failed:\n%s" % (what, synthetic.text))
    stem = sdist_stem(rctx.attr.package, rctx.attr.version)
    filename = stem + ".tar.gz"
    archive = _git(rctx, git, git_dir, [
        "-c",
        "tar.umask=0022",
        "-c",
        "core.autocrlf=false",
        "archive",
        "--format=tar.gz",
        "--prefix=" + stem + "/",
        "--output=" + str(rctx.path(filename)),
        synthetic.out,
    ], spec)
    if not archive.ok:
        fail("rules_pyuv: the %s: `git archive` failed:\n%s" % (what, archive.text))
    rctx.delete(git_dir)

    write_file_repository(rctx, filename, (
        "# Generated by rules_pyuv: the source of one git dependency of a lock, as an sdist.\n" +
        "# Commit %s, fetched by %s.\n"
    ) % (commit, fetched_by))

uv_git_source = repository_rule(
    implementation = _uv_git_source_impl,
    doc = """Fetches one git source of a lock at its locked commit, as an sdist-like `:file`.

`:file` is `<name>-<version>.tar.gz` (name with `_` for `-` and `.`), holding the commit's
tree (or its `subdirectory=`) under one top-level folder, without `.git`; sdist_build
builds it like any sdist. Needs `git` on the host's PATH; see docs/git-sources.md.""",
    attrs = {
        "git": attr.string(
            mandatory = True,
            doc = "The lock's `source.git` value: `<url>?<rev|tag|branch>=…&subdirectory=…#<commit>`.",
        ),
        "lockfile": attr.string(doc = "The lock's label, for messages."),
        "package": attr.string(mandatory = True, doc = "The package's PEP 503 name."),
        "timeout": attr.int(default = 600, doc = "Seconds each git command may take."),
        "version": attr.string(mandatory = True, doc = "The package's locked version."),
    },
)
