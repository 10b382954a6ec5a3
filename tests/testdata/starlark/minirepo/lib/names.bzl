"""Name helpers, loaded with a repo-qualified label by ext/extensions.bzl."""

# buildifier: disable=print
# The harness test checks that print() output is recorded.
print("loading lib/names.bzl")

def normalize(name):
    """PEP 503-ish normalisation: lower case, runs of '-', '_', '.' become '_'.

    Args:
      name: a package name.

    Returns:
      The normalized name.
    """
    out = []
    for c in name.lower().elems():
        if c in "-_.":
            if not out or out[-1] != "_":
                out.append("_")
        else:
            out.append(c)
    return "".join(out)
