"""The words of the shell scripts rules write (launchers, test scripts).

Paths of files in the runfiles tree, values quoted as single shell words so that no
character of a file name or setting can run, and the attribute that brings a rule one of
rules_pyuv's own files (a script's template, a script it runs).
"""

def implicit_file_attr(label):
    """The private attribute that holds one of rules_pyuv's own files.

    Args:
      label: label string of the file, e.g. "//py/private:launcher.sh.tpl".

    Returns:
      An attr.label for a rule's attrs, read as `ctx.file.<name>`.
    """
    return attr.label(default = Label(label), allow_single_file = True)

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
