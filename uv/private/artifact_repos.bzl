"""Declares the repository of one planned artifact: a downloaded file or a git source.

Both front doors call it (the bzlmod extension and the hub's repositories.bzl under
WORKSPACE), so an artifact becomes the same repository either way.
"""

load(":artifact.bzl", "uv_artifact", "uv_artifact_kwargs")
load(":git_source.bzl", "uv_git_source", "uv_git_source_kwargs")

def declare_artifact_repository(artifact, attrs):
    """Declares the repository of an artifact of the plan (planner.bzl).

    Args:
      artifact: an artifact of the plan, checked by plan_lock.
      attrs: the front door's attributes (struct-like): netrc, auth_patterns,
        credential_hosts, netrc_default.
    """
    if artifact.get("kind") == "git":
        # No credentials go to git: it uses the user's own git configuration.
        kwargs, error = uv_git_source_kwargs(
            artifact["repo"],
            artifact["package"],
            artifact["version"],
            artifact["git"],
            artifact["lockfile"],
        )
        if error:
            fail("rules_pyuv: " + error)
        uv_git_source(**kwargs)
        return
    uv_artifact(**uv_artifact_kwargs(artifact, attrs))
