"""The words of the shell scripts rules write (launchers, test scripts).

Paths of files in the runfiles tree, and values quoted as single shell words so that no
character of a file name or setting can run.
"""

def shell_quote(text):
    """Returns `text` as one single-quoted POSIX shell word.

    Args:
      text: any string.

    Returns:
      The quoted word.
    """
    return "'" + text.replace("'", "'\"'\"'") + "'"

def runfiles_path(ctx, file):
    """Returns the path of a file relative to the runfiles root.

    Args:
      ctx: any rule context (for the main repository's name).
      file: a File.

    Returns:
      E.g. "my_ws/app/main.py" or "pypi/platpkg/platpkg_site" for an external file.
    """
    if file.short_path.startswith("../"):
        return file.short_path[3:]
    return ctx.workspace_name + "/" + file.short_path
