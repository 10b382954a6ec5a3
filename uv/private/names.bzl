"""Package-name normalization (PEP 503) and the hub's label names."""

_REPO_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"

# A name of only these, without "--", is its own normal form (nearly every lock name).
_NORMAL_CHARS = _REPO_CHARS + "-"

def normalize_name(name):
    """Normalizes a distribution, extra or group name as PEP 503 (and PEP 685) do.

    Exactly `re.sub(r"[-_.]+", "-", name).lower()`, without a per-character loop (slow
    in Bazel's Starlark).

    Args:
      name: a project, distribution or extra name, e.g. "Typing_Extensions".

    Returns:
      The lower-cased name with every run of "-", "_" and "." replaced by "-".
    """
    if not name.lstrip(_NORMAL_CHARS) and "--" not in name:
        return name
    dashed = name.lower().replace("_", "-").replace(".", "-")
    if "--" not in dashed:
        return dashed  # no run of separators to collapse (wheel names: "typing_extensions")

    # Splitting on "-" and dropping the empty pieces collapses runs; a separator at
    # either end survives the regex, so put it back.
    collapsed = "-".join([p for p in dashed.split("-") if p])
    if not collapsed:
        return "-" if dashed else ""
    if dashed.startswith("-"):
        collapsed = "-" + collapsed
    if dashed.endswith("-"):
        collapsed = collapsed + "-"
    return collapsed

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

_NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

def requirement_name(requirement):
    """The project name of a PEP 508 requirement, spelled as written; None if it has none.

    Args:
      requirement: e.g. "Zope.Interface[fast]>=5; python_version >= '3.9'".

    Returns:
      E.g. "Zope.Interface", or None when the text does not start with a valid name.
    """
    if type(requirement) != "string":
        return None
    text = requirement.strip(" \t")

    # The name ends at the first character no name holds ("[", "<", ";", " ", ...).
    rest = text.lstrip(_NAME_CHARS)
    name = text[:len(text) - len(rest)]
    if not name or name[0] not in _ALNUM or name[-1] not in _ALNUM:
        return None
    return name
