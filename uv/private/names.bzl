"""Package-name normalization (PEP 503) and the hub's label names."""

_SEPARATORS = "-_."
_REPO_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"

def normalize_name(name):
    """Normalizes a distribution name as PEP 503 does.

    Args:
      name: a project or distribution name, e.g. "Typing_Extensions".

    Returns:
      The lower-cased name with every run of "-", "_" and "." replaced by "-".
    """
    lower = name.lower()

    # Most names are normalized already; the loop below is slow in Bazel's Starlark.
    if "_" not in lower and "." not in lower and "--" not in lower:
        return lower
    out = []
    in_run = False
    for c in lower.elems():
        if c in _SEPARATORS:
            if not in_run:
                out.append("-")
            in_run = True
        else:
            out.append(c)
            in_run = False
    return "".join(out)

def label_name(name):
    """Returns the hub label name of a package or extra: PEP 503 with "_" separators.

    Args:
      name: a project, distribution or extra name.

    Returns:
      E.g. "typing_extensions" for "Typing-Extensions".
    """
    return normalize_name(name).replace("-", "_")

def repo_safe(text):
    """Maps arbitrary text to characters valid in a repository name.

    Args:
      text: e.g. a file name.

    Returns:
      The text lower-cased, with every character other than [a-z0-9] turned into "_".
    """
    safe = text.lower().replace("-", "_").replace(".", "_").replace("+", "_")

    # strip() leaves nothing exactly when every character is allowed: no slow loop.
    if not safe.strip(_REPO_CHARS + "_"):
        return safe
    out = []
    for c in safe.elems():
        out.append(c if c in _REPO_CHARS else "_")
    return "".join(out)
