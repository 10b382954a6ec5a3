"""Lock-file helpers, loaded with a relative label by ext/extensions.bzl."""

load("//lib:names.bzl", "normalize")

def parse_lock(content):
    """Parses lines of 'name version url sha256'; blank lines and '#' comments are skipped.

    Args:
      content: the toy lock's text.

    Returns:
      A list of structs (name, version, url, sha256, filename).
    """
    packages = []
    for line in content.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, version, url, sha256 = line.split(" ")
        packages.append(struct(
            name = normalize(name),
            version = version,
            url = url,
            sha256 = sha256,
            filename = url.rsplit("/", 1)[-1],
        ))
    return packages

def repo_name_for(hub, package):
    return "%s__%s" % (hub, package)

# buildifier: disable=unused-variable
# Unused on purpose: the harness test reaches private names.
def _private_helper(x):
    return {"doubled": x * 2}
