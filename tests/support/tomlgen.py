"""Deterministic random TOML 1.0 documents, for differential tests of TOML decoders.

``TomlGen(seed).document()`` returns the text of a valid document. It first draws the
shape of the document (tables, arrays of tables, leaves) and then writes it with random
choices among the equivalent spellings: ``[headers]`` (sometimes after their sub-tables, or
left implicit), ``[[arrays.of.tables]]`` with their own sub-tables, dotted keys, inline
tables, bare/basic/literal keys, all string forms (escapes, Unicode, multi-line with
line-ending backslashes and trailing quotes), every integer form, floats, booleans,
multi-line arrays with comments and trailing commas, odd whitespace and CRLF line ends.

``mutate(text, rng)`` corrupts a document with a few random edits, most often into
invalid TOML, to check that a decoder rejects exactly what a reference decoder rejects.

The generator never emits date-times (Python decodes them to ``datetime`` objects) nor
``inf``/``nan`` (``nan != nan``), so a decoder's result can be compared with ``tomllib``'s
with plain equality. It does not need a decoder itself: validity is checked by the tests.
"""

from __future__ import annotations

import random

BARE_KEY_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
# Non-ASCII text: 2-, 3- and 4-byte UTF-8, a no-break space, a combining accent.
UNICODE_CHARS = ["é", "ü", "ß", "Δ", "中", "文", "😀", "𝄞", "\u00a0", "e\u0301"]
ASCII_TEXT = "abcdefghij XYZ 0123456789 .,;:!?/-_=+*&%$@#()[]{}<>~^|`'\"\\\t"
CONTROL_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}

LEAF = "leaf"


class TomlGen:
    """Random valid TOML documents; the same seed gives the same documents."""

    def __init__(self, seed: int):
        self.r = random.Random(seed)

    # -- shape ---------------------------------------------------------------------------

    def key(self) -> str:
        r = self.r
        kind = r.random()
        if kind < 0.6:
            return "".join(r.choice(BARE_KEY_CHARS) for _ in range(r.randint(1, 8)))
        if kind < 0.7:
            return r.choice(["", " ", "a.b", "with space", "é", "\"'", "[x]", "#", "="])
        return self.text(max_len=8, allow_newline=False)

    def shape(self, depth: int = 0) -> dict:
        """A tree of dicts; values are LEAF, dicts, or non-empty lists of dicts."""
        r = self.r
        table: dict = {}
        for _ in range(r.randint(0, 5 if depth else 7)):
            k = self.key()
            roll = r.random()
            if depth < 3 and roll < 0.25:
                table[k] = self.shape(depth + 1)
            elif depth < 3 and roll < 0.35:
                table[k] = [self.shape(depth + 1) for _ in range(r.randint(1, 3))]
            else:
                table[k] = LEAF
        return table

    # -- spelling of keys ----------------------------------------------------------------

    def key_text(self, key: str) -> str:
        r = self.r
        bare = key != "" and all(c in BARE_KEY_CHARS for c in key)
        if bare and r.random() < 0.8:
            return key
        if "'" not in key and "\n" not in key and not _has_control(key) and r.random() < 0.4:
            return "'" + key + "'"
        return self.basic(key)

    def path_text(self, keys: list[str]) -> str:
        return self.dot().join(self.key_text(k) for k in keys)

    def dot(self) -> str:
        return self.r.choice([".", ".", ".", " .", ". ", " . ", "\t.\t"])

    def ws(self, allow_empty: bool = True) -> str:
        r = self.r
        choices = [" ", " ", " ", "  ", "\t"] + (["", ""] if allow_empty else [])
        return r.choice(choices)

    # -- strings -------------------------------------------------------------------------

    def text(self, max_len: int = 20, allow_newline: bool = True) -> str:
        """Random string content: ASCII, Unicode, control characters."""
        r = self.r
        out = []
        for _ in range(r.randint(0, max_len)):
            roll = r.random()
            if roll < 0.65:
                out.append(r.choice(ASCII_TEXT))
            elif roll < 0.85:
                out.append(r.choice(UNICODE_CHARS))
            elif roll < 0.95 and allow_newline:
                out.append("\n")
            else:
                out.append(r.choice(["\b", "\f", "\r", "\x00", "\x1f", "\x7f", "\x01"]))
        return "".join(out)

    def escape_char(self, c: str) -> str:
        """An escape for one character; any escapable form, chosen at random."""
        r = self.r
        code = ord(c)
        choices = [f"\\u{code:04x}", f"\\u{code:04X}"] if code < 0x10000 else []
        choices.append(f"\\U{code:08x}")
        if c in CONTROL_ESCAPES:
            choices += [CONTROL_ESCAPES[c]] * 3
        if c in '"\\':
            choices += ["\\" + c] * 3
        return r.choice(choices)

    def basic(self, s: str) -> str:
        out = []
        for c in s:
            if c in '"\\' or (_is_control(c) and c != "\t") or self.r.random() < 0.1:
                out.append(self.escape_char(c))
            else:
                out.append(c)
        return '"' + "".join(out) + '"'

    def multiline_basic(self, s: str) -> str:
        r = self.r
        out = []
        quotes = 0  # raw quotes just written: a third one must be escaped
        for i, c in enumerate(s):
            if c == '"' and quotes < 2:
                out.append(c)
                quotes += 1
                continue
            quotes = 0
            if c in '"\\' or (_is_control(c) and c not in "\t\n") or r.random() < 0.05:
                out.append(self.escape_char(c))
            else:
                out.append(c)
            # A line-ending backslash eats the blanks after it, so only before other text.
            nxt = s[i + 1] if i + 1 < len(s) else ""
            if nxt and nxt not in " \t\n" and r.random() < 0.1:
                out.append(
                    "\\" + r.choice(["", " ", "\t "]) + "\n" + r.choice(["", "  ", "\n\t \n    "])
                )
        # The newline right after the opening quotes is dropped, so it is required when the
        # content starts with a newline.
        lead = "\n" if s.startswith("\n") or r.random() < 0.5 else ""
        return '"""' + lead + "".join(out) + '"""'

    def multiline_literal(self, s: str) -> str:
        lead = "\n" if s.startswith("\n") or self.r.random() < 0.5 else ""
        return "'''" + lead + s + "'''"

    def string(self) -> str:
        r = self.r
        s = self.text()
        one_line = "\n" not in s and not _has_control(s)
        roll = r.random()
        if roll < 0.15 and one_line and "'" not in s:
            return "'" + s + "'"
        if roll < 0.3 and "'''" not in s and not _has_control(s.replace("\n", "")):
            if not s.endswith("'"):
                return self.multiline_literal(s + r.choice(["", "'", "''", "\n"]))
        if roll < 0.5:
            return self.multiline_basic(s + r.choice(["", '"', '""', "\n"]))
        return self.basic(s)

    # -- other scalars -------------------------------------------------------------------

    def underscored(self, digits: str) -> str:
        """Digits with random single underscores between them."""
        r = self.r
        out = [digits[0]]
        for d in digits[1:]:
            if r.random() < 0.2:
                out.append("_")
            out.append(d)
        return "".join(out)

    def integer(self) -> str:
        r = self.r
        value = r.choice([0, 1, 7, 42, 1000, 2**31, 2**63 - 1, r.randint(0, 2**63 - 1)])
        roll = r.random()
        if roll < 0.15:
            return "0x" + self.underscored(r.choice([f"{value:x}", f"{value:X}"]))
        if roll < 0.25:
            return "0o" + self.underscored(f"{value:o}")
        if roll < 0.35:
            return "0b" + self.underscored(f"{value:b}")
        sign = r.choice(["", "", "+", "-"])
        if sign == "-" and value == 2**63 - 1:
            value += 1
        return sign + self.underscored(str(value))

    def floating(self) -> str:
        r = self.r
        sign = r.choice(["", "", "+", "-"])
        whole = self.underscored(r.choice(["0", str(r.randint(1, 10 ** r.randint(1, 12)))]))
        frac = "." + self.underscored(str(r.randint(0, 10 ** r.randint(1, 10)))).rjust(1, "0")
        # |exponent| <= 290 and at most 13 integer digits: always within double range.
        exp = (
            r.choice(["e", "E"])
            + r.choice(["", "+", "-"])
            + self.underscored(str(r.randint(0, 290)).rjust(r.randint(1, 3), "0"))
        )
        roll = r.random()
        if roll < 0.4:
            return sign + whole + frac
        if roll < 0.7:
            return sign + whole + exp
        return sign + whole + frac + exp

    def scalar(self) -> str:
        r = self.r
        roll = r.random()
        if roll < 0.45:
            return self.string()
        if roll < 0.7:
            return self.integer()
        if roll < 0.85:
            return self.floating()
        return r.choice(["true", "false"])

    # -- arrays and inline tables --------------------------------------------------------

    def comment(self) -> str:
        return "#" + self.text(max_len=12, allow_newline=False).replace("\r", "").replace(
            "\x00", ""
        ).replace("\b", "").replace("\f", "").replace("\x1f", "").replace("\x7f", "").replace(
            "\x01", ""
        )

    def gap(self, multiline: bool) -> str:
        """Blanks between array items: spaces, or newlines with comments."""
        r = self.r
        if not multiline or r.random() < 0.5:
            return self.ws()
        out = []
        for _ in range(r.randint(1, 2)):
            out.append(self.ws() + (self.comment() if r.random() < 0.4 else "") + "\n")
        out.append(r.choice(["", "  ", "    ", "\t"]))
        return "".join(out)

    def array(self, depth: int, items: list[str] | None = None) -> str:
        r = self.r
        if items is None:
            items = [self.value(depth + 1) for _ in range(r.randint(0, 4))]
        multiline = r.random() < 0.5
        parts = ["[", self.gap(multiline)]
        for i, item in enumerate(items):
            parts.append(item)
            if i < len(items) - 1 or r.random() < 0.4:
                parts.append(self.gap(multiline) + "," + self.gap(multiline))
            else:
                parts.append(self.gap(multiline))
        parts.append("]")
        return "".join(parts)

    def inline_table(self, table: dict | None, depth: int) -> str:
        """An inline table for a shape (or a random one), with dotted keys sometimes."""
        if table is None:
            table = self.shape(depth=max(depth, 2))
        entries = []
        for k, v in table.items():
            entries += self.inline_entries([k], v, depth)
        self.r.shuffle(entries)
        if not entries:
            return "{" + self.ws() + "}"
        sep = [self.ws() + "," + self.ws() for _ in entries[1:]]
        body = entries[0] + "".join(s + e for s, e in zip(sep, entries[1:], strict=True))
        return "{" + self.ws() + body + self.ws() + "}"

    def inline_entries(self, keys: list[str], v, depth: int) -> list[str]:
        if isinstance(v, dict) and v and self.r.random() < 0.3:
            entries = []
            for k, sub in v.items():
                entries += self.inline_entries([*keys, k], sub, depth)
            return entries
        return [self.path_text(keys) + self.ws() + "=" + self.ws() + self.leaf_value(v, depth)]

    def leaf_value(self, v, depth: int) -> str:
        """The inline spelling of a shape value."""
        if v == LEAF:
            return self.value(depth + 1)
        if isinstance(v, dict):
            return self.inline_table(v, depth + 1)
        return self.array(depth, [self.inline_table(t, depth + 1) for t in v])

    def value(self, depth: int = 0) -> str:
        r = self.r
        roll = r.random()
        if depth < 3 and roll < 0.15:
            return self.array(depth)
        if depth < 3 and roll < 0.22:
            return self.inline_table(None, depth + 1)
        return self.scalar()

    # -- document ------------------------------------------------------------------------

    def line_end(self) -> str:
        r = self.r
        roll = r.random()
        if roll < 0.2:
            return self.ws(allow_empty=False) + self.comment()
        if roll < 0.3:
            return self.ws(allow_empty=False)
        return ""

    def filler(self) -> list[str]:
        """Blank and comment lines between statements."""
        r = self.r
        out = []
        for _ in range(r.choice([0, 0, 0, 1, 2])):
            out.append(r.choice(["", self.ws(), self.ws() + self.comment()]))
        return out

    def keyval(self, keys: list[str], value: str) -> str:
        indent = self.r.choice(["", "", "  ", "\t"])
        eq = self.ws() + "=" + self.ws()
        return indent + self.path_text(keys) + eq + value + self.line_end()

    def header(self, path: list[str], aot: bool) -> str:
        o, c = ("[[", "]]") if aot else ("[", "]")
        indent = self.r.choice(["", "", " "])
        return indent + o + self.ws() + self.path_text(path) + self.ws() + c + self.line_end()

    def section(self, path: list[str], table: dict, kind: str) -> list[str]:
        """Lines for a table: its own key/values, then sections of its sub-tables.

        kind: "root" (no header), "table" ([path]) or "element" ([[path]]).
        """
        r = self.r
        body: list[str] = []
        later: list[list[str]] = []
        for k, v in table.items():
            body += self.filler()
            if v == LEAF:
                body.append(self.keyval([k], self.value()))
            elif isinstance(v, dict):
                style = r.random()
                if style < 0.25:
                    body.append(self.keyval([k], self.inline_table(v, 1)))
                elif style < 0.45 and v:
                    body += self.dotted([k], v)
                else:
                    later.append(self.section([*path, k], v, "table"))
            elif r.random() < 0.3:
                body.append(self.keyval([k], self.leaf_value(v, 0)))
            else:
                for element in v:
                    later.append(self.section([*path, k], element, "element"))
        r.shuffle(later)
        tail = [line for sec in later for line in sec]
        if kind == "root":
            return body + tail
        if kind == "element":
            return [self.header(path, True), *body, *tail]
        if not body and tail and r.random() < 0.5:
            return tail  # left implicit: the sub-tables' headers create it
        if tail and r.random() < 0.3:
            return [*tail, self.header(path, False), *body]  # defined after its sub-tables
        return [self.header(path, False), *body, *tail]

    def dotted(self, keys: list[str], table: dict) -> list[str]:
        """Key/values that define `table` with dotted keys."""
        lines = []
        for k, v in table.items():
            if isinstance(v, dict) and v and self.r.random() < 0.6:
                lines += self.dotted([*keys, k], v)
            else:
                lines.append(self.keyval([*keys, k], self.leaf_value(v, 1)))
        return lines

    def document(self) -> str:
        lines = self.section([], self.shape(), "root") + self.filler()
        text = "\n".join(lines) + self.r.choice(["", "\n"])
        if self.r.random() < 0.15:
            text = text.replace("\n", "\r\n")
        return text


# What mutate() inserts: TOML's syntax characters and some that are only sometimes valid.
MUTATIONS = list("[]{}\"'=.,#\n \t\\abc019_-+:eExob") + ['"""', "'''", "[[", "]]", "\r", "é"]


def mutate(text: str, rng: random.Random) -> str:
    """``text`` with one to three random deletions, insertions or replacements."""
    for _ in range(rng.randint(1, 3)):
        pos = rng.randrange(len(text) + 1)
        roll = rng.random()
        if roll < 0.4:
            text = text[:pos] + text[pos + 1 :]
        elif roll < 0.8:
            text = text[:pos] + rng.choice(MUTATIONS) + text[pos:]
        else:
            text = text[:pos] + rng.choice(MUTATIONS) + text[pos + 1 :]
    return text


def _is_control(c: str) -> bool:
    return ord(c) < 0x20 or ord(c) == 0x7F


def _has_control(s: str) -> bool:
    return any(_is_control(c) and c != "\t" for c in s)
