"""String predicates shared by the lock, version and marker parsers."""

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
