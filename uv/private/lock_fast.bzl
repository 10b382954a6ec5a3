"""A fast decoder for the lines `uv lock` writes, falling back to toml.bzl for the rest.

uv.lock is machine-written in a narrow, regular form: `key = value` lines, `[[package]]`
and `[package.x]` headers, and arrays with one element per line indented by four spaces,
each element a string or a one-line inline table. Decoding it with the general TOML
decoder costs about a hundred interpreter steps per line. Here each line is cut at its
quotes with one native `split`; the text between the strings (its *shape*, e.g.
`{ name = "", marker = "" }`) is recognised by a dictionary lookup, and the value is
built from the strings in a few steps. A shape is compiled once per lock, by a strict
recogniser of a small subset of TOML.

`decode_uv_lock` returns exactly what `decode_toml` returns for the same text (same
dicts in the same key order, same values), or None when the text leaves that subset
in any way: an escape, a literal or multi-line string, a tab or control character,
unusual spacing, dotted or quoted keys, a repeated key or table, a comment after a value,
a number other than a plain non-negative integer. The caller then runs `decode_toml`,
which decodes what is valid and reports what is not with its line and column. The lock
is untrusted input: nothing `decode_toml` refuses is accepted here
(tests/test_lock_fast.py compares both on real locks, hostile locks and mutated lines).
"""

_BARE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
_DIGITS = "0123456789"

# Every C0 control character but the newline, and DEL: TOML forbids them raw (tab excepted,
# which is left to decode_toml too: json.decode refuses it in a string).
_CONTROL = [
    json.decode('"\\u00%s%s"' % ("01"[c // 16], "0123456789abcdef"[c % 16]))
    for c in range(32)
    if c != 10
] + [json.decode('"\\u007f"')]

def _only(text, chars):
    # lstrip() removes everything exactly when every character is allowed: no slow loop.
    return not text.lstrip(chars)

# ---------------------------------------------------------------------------
# Shapes: a value with its strings emptied, e.g. `{ name = "", extra = [""] }`
# ---------------------------------------------------------------------------

def _tokens(shape):
    """The tokens of a shape, or None when it holds anything outside the canonical form.

    Tokens: "s" (an emptied string), "{", "}", "[", "]", "," (a comma and one blank),
    "=" (" = "), "_" (one blank after "{" or before "}"), and bare words (keys, integers,
    booleans) as ("w", text).
    """
    toks = []
    i = 0
    n = len(shape)
    for _ in range(n + 1):
        if i >= n:
            return toks
        two = shape[i:i + 2]
        c = shape[i]
        if two == "\"\"":
            toks.append("s")
            i += 2
        elif c == "{" or c == "}" or c == "[" or c == "]":
            toks.append(c)
            i += 1
        elif two == ", ":
            toks.append(",")
            i += 2
        elif shape[i:i + 3] == " = ":
            toks.append("=")
            i += 3
        elif c == " ":
            toks.append("_")
            i += 1
        elif c in _BARE:
            j = n
            for k in range(i, n):
                if shape[k] not in _BARE:
                    j = k
                    break
            toks.append(("w", shape[i:j]))
            i = j
        else:
            return None
    return None

def _compile(shape):
    """Compiles a shape into a recipe, or returns None when it is not canonical TOML.

    Accepted (with exactly these blanks): a string; an integer; a boolean; `[]`;
    `[v, v, ...]`; `{ k = v, k = v }` with bare, distinct keys; nested to any depth.
    Recipes: ("flat", keys, slot, number) an inline table of strings but for at most one
    integer (key number `slot`, -1 for none); ("build", ops) anything else, built by
    _build from the steps `ops`.
    """
    toks = _tokens(shape)
    if not toks:
        return None
    ops = []  # ("s", key): the next string; ("v", key, value); ("d", key) / ("l", key): open

    # a table / an array; ("e",): close it. `key` is None inside an array.
    stack = []  # open containers: {"t": "{" or "[", "keys": {...}}
    expect = "value"  # "value", "key", "after" (a value ended), "first" (right after "[")
    key = None  # the key of the next value, None in an array
    flat = []  # the top-level keys, while the shape may be a flat table
    is_flat = toks[0] == "{"
    slot, number = -1, None  # a flat table's one integer: its key's index, its value
    strings = 0
    n = len(toks)
    j = 0
    for _ in range(n + 1):
        if j >= n:
            break
        t = toks[j]
        j += 1
        if expect == "value" or expect == "first":
            if expect == "first" and t == "]":
                stack.pop()
                ops.append(("e",))
                expect = "after"
            elif t == "s":
                ops.append(("s", key))
                strings += 1
                expect = "after"
            elif t == "[":
                stack.append({"t": "["})
                ops.append(("l", key))
                key = None
                expect = "first"
                is_flat = False
            elif t == "{":
                if stack:
                    is_flat = False
                if j < n and toks[j] == "}":
                    ops.append(("d", key))
                    ops.append(("e",))
                    j += 1
                    expect = "after"
                    is_flat = False
                elif j < n and toks[j] == "_":
                    stack.append({"t": "{", "keys": {}})
                    ops.append(("d", key))
                    j += 1
                    expect = "key"
                else:
                    return None
            elif type(t) == "tuple":
                word = t[1]
                if word == "true" or word == "false":
                    value = word == "true"
                elif word and _only(word, _DIGITS) and (word[0] != "0" or word == "0"):
                    value = int(word)
                else:
                    return None
                ops.append(("v", key, value))
                expect = "after"
                if len(stack) == 1 and slot == -1 and type(value) == "int":
                    slot, number = len(flat) - 1, value
                else:
                    is_flat = False
            else:
                return None
        elif expect == "key":
            if type(t) != "tuple" or j >= n or toks[j] != "=":
                return None
            keys = stack[-1]["keys"]
            if t[1] in keys:
                return None
            keys[t[1]] = True
            if len(stack) == 1:
                flat.append(t[1])
            key = t[1]
            j += 1
            expect = "value"
        elif expect == "after":
            if not stack:
                return None
            top = stack[-1]
            if t == ",":
                expect = "key" if top["t"] == "{" else "value"
                key = None
            elif top["t"] == "[" and t == "]":
                stack.pop()
                ops.append(("e",))
            elif top["t"] == "{" and t == "_" and j < n and toks[j] == "}":
                stack.pop()
                ops.append(("e",))
                j += 1
            else:
                return None
            if stack and stack[-1]["t"] == "[":
                key = None
        else:
            return None
    if stack or expect != "after":
        return None
    if is_flat and len(flat) == strings + (0 if slot == -1 else 1):
        return ("flat", flat, slot, number)
    return ("build", ops)

def _build(ops, strings):
    """Runs the steps of a ("build", ops) recipe on a line's strings."""
    stack = [[]]  # the open containers; the first collects the value
    j = 0
    for op in ops:
        kind = op[0]
        if kind == "e":
            stack.pop()
            continue
        if kind == "s":
            value = strings[j]
            j += 1
        elif kind == "v":
            value = op[2]
        elif kind == "d":
            value = {}
        else:
            value = []
        top = stack[-1]
        if op[1] == None:
            top.append(value)
        else:
            top[op[1]] = value
        if kind == "d" or kind == "l":
            stack.append(value)
    return stack[0][0]

def _size_shape(shape):
    """(shape with its `size = N` written `size = 0`, N), or (None, None).

    Sizes make nearly every artifact's shape unique; this keeps them to one recipe.
    """
    head, sep, tail = shape.partition(", size = ")
    if not sep or shape.count("size = ") != 1:
        return None, None
    number, comma, rest = tail.partition(", ")
    if not comma:
        number, comma, rest = tail.partition(" }")
    if not comma or not number or number.lstrip(_DIGITS) or (number[0] == "0" and number != "0"):
        return None, None
    return head + sep + "0" + comma + rest, int(number)

def _value(pieces, shape, recipe, recipes):
    """The value of a line cut at its quotes (`pieces`, an odd number of them), or (False, None).

    `shape` is the line with its strings emptied, `recipe` what `recipes` holds for it.
    """
    size = None
    if recipe == None:
        # An artifact's `size = N` (nearly every one unique) read as `size = 0`; inline for
        # the common case, which _size_shape would accept.
        head, sep, tail = shape.partition(", size = ")
        number, comma, rest = tail.partition(", ")
        if (sep and comma and number and not number.lstrip(_DIGITS) and number[0] != "0" and
            "size = " not in head and "size = " not in rest):
            normal, size = head + sep + "0" + comma + rest, int(number)
        else:
            normal, size = _size_shape(shape)
        if normal != None:
            recipe = recipes.get(normal)
            if recipe == None:
                recipe = _compile(normal)
                recipes[normal] = recipe or ("no",)
        else:
            recipe = _compile(shape)
            recipes[shape] = recipe or ("no",)
        if recipe == None:
            return False, None
    kind = recipe[0]
    strings = pieces[1::2]
    if kind == "flat":
        slot = recipe[2]
        if slot == -1:
            if size != None:
                return False, None
            return True, dict(zip(recipe[1], strings))
        if size != None and recipe[1][slot] != "size":
            return False, None
        number = size if size != None else recipe[3]
        strings.insert(slot, number)
        return True, dict(zip(recipe[1], strings))
    if kind == "build" and size == None:
        return True, _build(recipe[1], strings)
    return False, None

# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------

def _header_path(line):
    """(is an array of tables, [key, ...]) of a canonical header line, or (None, None)."""
    if line.startswith("[[") and line.endswith("]]"):
        aot, inner = True, line[2:-2]
    elif line.endswith("]") and not line.startswith("[["):
        aot, inner = False, line[1:-1]
    else:
        return None, None
    parts = inner.split(".")
    for part in parts:
        if not part or part.lstrip(_BARE):
            return None, None
    return aot, parts

def decode_uv_lock(text):
    """Decodes a uv.lock written in uv's canonical form, or returns None.

    Args:
      text: the lock's content.

    Returns:
      What decode_toml(text) returns, or None when the text leaves the canonical form
      (see the module docstring); then decode_toml must decode it.
    """
    for c in _CONTROL:
        if c in text:
            return None
    if "\\" in text:
        return None
    lines = text.split("\n")
    doc = {}
    table = doc
    recipes = {}
    keys = {}  # bare keys already checked
    headers = {}  # header line -> (is an array of tables, path)
    arrays = {}  # root keys holding an array made by [[key]] headers
    defined = {}  # "a.b" -> True: tables defined by a header, or holding an array of tables
    items = None  # the elements of the multi-line array being read, one per line
    for line in lines:
        if items != None:
            if line == "]":
                items = None
                continue
            if line[:4] != "    " or line[-1:] != ",":
                return None
            written = line[4:-1]
            key = None
        else:
            if not line:
                continue
            c = line[0]
            if c == "#":
                continue
            if c == "[":
                parsed = headers.get(line)
                if parsed == None:
                    parsed = _header_path(line)
                    headers[line] = parsed
                aot, path = parsed
                if aot == None:
                    return None
                table = _open_table(doc, aot, path, arrays, defined)
                if table == None:
                    return None
                continue
            key, eq, written = line.partition(" = ")
            if not eq:
                return None
            if key not in keys:
                if not key or key.lstrip(_BARE):
                    return None
                keys[key] = True
            if key in table:
                return None
            if written == "[":
                items = []
                table[key] = items
                continue

        # The value, its common forms without a call: a string, a flat inline table.
        pieces = written.split("\"")
        if len(pieces) == 3 and not pieces[0] and not pieces[2]:
            value = pieces[1]
        elif len(pieces) % 2 == 0:
            return None  # an odd number of quotes
        else:
            shape = "\"\"".join(pieces[0::2])
            recipe = recipes.get(shape)
            if recipe != None and recipe[0] == "flat" and recipe[2] == -1:
                value = dict(zip(recipe[1], pieces[1::2]))
            else:
                ok, value = _value(pieces, shape, recipe, recipes)
                if not ok:
                    return None
        if key == None:
            items.append(value)
        else:
            table[key] = value
    if items != None:
        return None  # an array still open at the end of the text
    return doc

def _open_table(doc, aot, path, arrays, defined):
    """The table a header opens, following TOML's rules for the forms uv writes, or None.

    Handled: `[[a]]` at the root; `[a]` at the root; `[a.b...]` under the last element of
    an array of tables `a` or under a table `[a...]` defined by a header, each defined once.
    Anything else (implicit tables, arrays of tables below the root, ...) returns None.
    """
    if aot:
        if len(path) != 1:
            return None
        name = path[0]
        items = doc.get(name)
        if items == None:
            items = []
            doc[name] = items
            arrays[name] = True
        elif name not in arrays:
            return None

        # A new element: the tables of the previous one may be defined again.
        for k in [k for k in defined if k.startswith(name + ".")]:
            defined.pop(k)
        table = {}
        items.append(table)
        return table
    start = 0
    parent = doc
    if path[0] in arrays:
        if len(path) == 1:
            return None
        parent = doc[path[0]][-1]
        start = 1
    for j in range(start, len(path) - 1):
        if not defined.get(".".join(path[:j + 1])):
            return None
        parent = parent.get(path[j])
        if type(parent) != "dict":
            return None
    name = ".".join(path)
    if path[-1] in parent:
        return None
    table = {}
    parent[path[-1]] = table
    defined[name] = True
    return table
