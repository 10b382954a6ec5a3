"""Quoting of values as Starlark source, for every generated .bzl and BUILD file.

Lock text is untrusted: it may reach a generated file only through these functions, and
only inside a string literal. Nothing else in rules_pyuv concatenates data into Starlark,
and generated comments hold only fixed text.

The string literals use only the escapes every Bazel from 4.2.3 to 9 lexes: `\\\\`,
`\\"`, `\\n`, `\\r`, `\\t` and three-digit octal (`\\001`) for the other control
characters (4.2.3 rejects `\\x01`, `\\u0001`, `\\a`, `\\v` and `\\f`). Other characters,
non-ASCII included, are written as they are.
"""

# Characters written as they are without a second look: printable ASCII but `"` and `\`.
_PLAIN = "".join([
    " !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`",
    "abcdefghijklmnopqrstuvwxyz{|}~",
])

_OCTAL = "01234567"

# (character, escape) for the C0 controls but \t \n \r, and DEL. json.decode makes the
# characters: Starlark has no chr().
_CONTROL_ESCAPES = [
    (
        json.decode('"\\u00%s%s"' % ("0123456789abcdef"[c // 16], "0123456789abcdef"[c % 16])),
        "\\" + _OCTAL[c // 64] + _OCTAL[(c // 8) % 8] + _OCTAL[c % 8],
    )
    for c in list(range(0, 9)) + [11, 12] + list(range(14, 32)) + [127]
]

def quote(text):
    """Returns a Starlark string literal whose value is `text`.

    Args:
      text: any string.

    Returns:
      The literal, in double quotes, safe to put anywhere an expression goes.
    """
    if type(text) != "string":
        fail("starlark_quote.quote: expected a string, got %s" % type(text))

    # strip() leaves nothing exactly when every character is plain: one native call.
    if not text.strip(_PLAIN):
        return "\"" + text + "\""
    out = text.replace("\\", "\\\\").replace("\"", "\\\"")
    out = out.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    for char, escape in _CONTROL_ESCAPES:
        if char in out:
            out = out.replace(char, escape)
    return "\"" + out + "\""

def quote_each(values):
    """quote() of each of values, as a tuple for a `%` format.

    Args:
      values: a list of strings.

    Returns:
      The literals, in order.
    """

    # One check for all of them: nearly every row of a generated file is plain text.
    if not "".join(values).strip(_PLAIN):
        return tuple(["\"" + v + "\"" for v in values])
    return tuple([quote(v) for v in values])

def expr(text):
    """Marks text that is already Starlark source (e.g. a select()) for render_value.

    Args:
      text: Starlark source produced by this module's functions or fixed in the code.

    Returns:
      A value render_value writes unchanged.
    """
    return struct(starlark_source = text)

def _scalar(value):
    """A string, expr(), bool, int or None as source; None for a container."""
    kind = type(value)
    if kind == "string":
        # quote()'s common case inline: a call costs more than the work in Bazel 4.2.3.
        if not value.strip(_PLAIN):
            return "\"" + value + "\""
        return quote(value)
    if kind == "struct":
        return value.starlark_source
    if kind == "bool" or kind == "int" or kind == "NoneType":
        return repr(value)
    if kind == "list" or kind == "tuple" or kind == "dict":
        return None
    fail("starlark_quote.render_value: cannot render a %s" % kind)

def _container(value, indent, items):
    """Wraps rendered items (one per line, one level deeper) in brackets."""
    opening, closing = ("{", "}") if type(value) == "dict" else ("[", "]")
    if not items:
        return opening + closing

    # One short item stays on the line: `tags = ["manual"]`.
    if len(items) == 1 and len(items[0]) <= 60 and "\n" not in items[0]:
        return opening + items[0] + closing
    pad = " " * (indent + 4)
    return opening + "\n" + "".join([pad + item + ",\n" for item in items]) + " " * indent + closing

def _flat(value, indent):
    """A list or dict of scalars (Bazel's Starlark has no recursion)."""
    if type(value) == "dict":
        items = []
        for k, v in value.items():
            source = _scalar(v)
            if source == None:
                fail("starlark_quote.render_value: values nest deeper than two containers")
            items.append(quote(k) + ": " + source)
        return _container(value, indent, items)
    items = []
    for v in value:
        source = _scalar(v)
        if source == None:
            fail("starlark_quote.render_value: values nest deeper than two containers")
        items.append(source)
    return _container(value, indent, items)

def render_value(value, indent = 0):
    """Renders a value as Starlark source.

    Args:
      value: a string, int, bool, None, an expr(), or a list or dict (string keys) of
        those or of lists and dicts of those (two levels of containers at most).
      indent: the indentation of the line the value starts on; lists and dicts of more
        than one short item span lines, their items indented one level deeper.

    Returns:
      Starlark source text.
    """
    source = _scalar(value)
    if source != None:
        return source
    if type(value) == "dict":
        items = []
        for k, v in value.items():
            inner = _scalar(v)
            items.append(quote(k) + ": " + (inner if inner != None else _flat(v, indent + 4)))
        return _container(value, indent, items)
    items = []
    for v in value:
        inner = _scalar(v)
        items.append(inner if inner != None else _flat(v, indent + 4))
    return _container(value, indent, items)

def render_select(branches, indent = 0, no_match_error = None):
    """Renders a select() expression.

    Args:
      branches: list of (condition label, value) pairs, in the order to write them.
      indent: the indentation of the line the expression starts on.
      no_match_error: the message when no condition matches, or None.

    Returns:
      Starlark source text.
    """
    pad = " " * (indent + 8)
    lines = ["select(\n", " " * (indent + 4), "{\n"]
    for condition, value in branches:
        lines.append(pad + quote(condition) + ": " + render_value(value, indent + 8) + ",\n")
    lines.append(" " * (indent + 4) + "}")
    if no_match_error != None:
        lines.append(",\n%sno_match_error = %s,\n" % (" " * (indent + 4), quote(no_match_error)))
        lines.append(" " * indent + ")")
    else:
        lines.append(",\n" + " " * indent + ")")
    return "".join(lines)

def _value_key(value):
    return json.encode(value) if type(value) == "list" else value

def all_equal(values):
    """Whether every value of a non-empty list equals the first.

    Args:
      values: a non-empty list.

    Returns:
      True or False.
    """
    first = values[0]
    for value in values:
        if value != first:
            return False
    return True

def most_common(mapping):
    """The value most keys of a mapping have; ties go to the one whose first key sorts first.

    Args:
      mapping: dict from a name to a string or a list of them.

    Returns:
      One of the mapping's values, or None for an empty mapping.
    """
    counts = {}
    first = {}
    for env in sorted(mapping):
        key = _value_key(mapping[env])
        counts[key] = counts.get(key, 0) + 1
        first.setdefault(key, mapping[env])
    best = None
    for key, count in counts.items():
        if best == None or count > counts[best]:
            best = key
    return first[best] if best != None else None

def render_env_select(mapping, settings_package, indent, default = None, no_match_error = None):
    """Renders a select() over environment names, or the value when all agree.

    Args:
      mapping: dict from environment name to a label string or a list of them.
      settings_package: the hub package holding the environments' config_settings.
      indent: indentation of the line that holds the expression.
      default: a value for //conditions:default, dropping its explicit entries; the
        string "most_common" picks the value most environments have.
      no_match_error: the message when no environment matches.

    Returns:
      An expr().
    """
    values = mapping.values()

    # Most packages resolve the same everywhere: skip the select (and its cost).
    if all_equal(values):
        return expr(render_value(values[0], indent))
    if default == "most_common":
        default = most_common(mapping)
    branches = []
    default_key = _value_key(default) if default != None else None
    for env in sorted(mapping):
        value = mapping[env]
        if default != None and _value_key(value) == default_key:
            continue
        branches.append(("%s:%s" % (settings_package, env), value))
    if default != None:
        branches.append(("//conditions:default", default))
    return expr(render_select(
        branches,
        indent,
        no_match_error = no_match_error if default == None else None,
    ))

def render_call(function, kwargs, indent = 0):
    """Renders a call with keyword arguments, one per line.

    Args:
      function: the callee's name; a fixed identifier from the code, never data.
      kwargs: list of (argument name, value) pairs; the names are fixed identifiers,
        the values anything render_value takes.
      indent: the indentation of the line the call starts on.

    Returns:
      Starlark source text, without a trailing newline.
    """
    pad = " " * (indent + 4)
    lines = [function, "(\n"]
    for name, value in kwargs:
        lines.append(pad + name + " = " + render_value(value, indent + 4) + ",\n")
    lines.append(" " * indent + ")")
    return "".join(lines)

def render_load(bzl_file, symbols):
    """Renders a load() statement.

    Args:
      bzl_file: the label of the .bzl file.
      symbols: the names to load.

    Returns:
      Starlark source text ending in a newline.
    """
    return "load(" + ", ".join([quote(bzl_file)] + [quote(s) for s in symbols]) + ")\n"
