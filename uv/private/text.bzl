"""Text helpers shared by the lock, version and marker parsers and the attribute docs."""

def contains_any(text, chars):
    """Whether `text` holds any of `chars`.

    One native substring scan per character: Bazel's Starlark has no regular expressions,
    and a loop over the characters of `text` would be far slower on long strings.

    Args:
      text: the string to look into.
      chars: a list (or other iterable) of one-character strings.

    Returns:
      True when some character of `chars` occurs in `text`.
    """
    for c in chars:
        if c in text:
            return True
    return False

def prose(text):
    """The one-line text of a paragraph written wrapped and indented in a `\"\"\"` string.

    Attribute docs are read as one line (`bazel query --output=build`, stardoc); writing
    them as wrapped paragraphs keeps the source readable without `" +` on every line.

    Args:
      text: lines of words; blank lines and the blanks around each line are dropped.

    Returns:
      The lines' words joined by single spaces.
    """
    return " ".join([line.strip() for line in text.split("\n") if line.strip()])
