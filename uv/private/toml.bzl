"""A TOML 1.0 decoder in pure Starlark.

`uv.lock` is parsed at repository-fetch time, before any Python interpreter is known,
so the decoder must run on Bazel's own Starlark (4.2.3 up to 9). That rules out
`while`, recursion, `lambda`, `set`, `chr`/`ord` and module-level mutable state: the
parser loops over `range()` with explicit stacks, and builds characters from
`json.decode`.

Mapping of TOML values:

*   tables and inline tables -> dicts, arrays and arrays of tables -> lists;
*   strings -> strings, integers -> ints (any size), booleans -> bools;
*   floats (`1.5`, `1e3`, `inf`, `nan`, ...) -> floats (`float` exists in Bazel 4.2.3,
    checked there; a float beyond the double range fails, where Python gives `inf`);
*   offset/local date-times, local dates and local times -> their TOML text, as a
    string (`1979-05-27T07:32:00Z`). They are validated, not converted.

Strings follow the host's representation of text: Bazel reads files as Latin-1, one
character per byte, so an escape such as `\\u00e9` becomes the two UTF-8 bytes of `é`
there, exactly like a raw `é` in the file; a Starlark with Unicode strings gets one
character. Columns in error messages count characters of that representation.

Errors are reported with `fail("<file>:<line>:<column>: <message>")`, both 1-based.
"""

# range() bound for loops that always end with `break`/`return` (Starlark has no `while`).
_FOREVER = 1073741824

# Flag names, in the manner of Python's tomllib: a table that has been defined (by a
# header, by dotted keys of an earlier section, or by [[...]]) may not be defined again;
# an inline table or array value may not be extended at all.
_EXPLICIT = "explicit"
_FROZEN = "frozen"

_HEX_DIGITS = "0123456789abcdef"

# The 256 characters whose code is one byte, to build UTF-8 bytes and control characters.
_BYTE_CHARS = [json.decode('"\\u00' + _HEX_DIGITS[b // 16] + _HEX_DIGITS[b % 16] + '"') for b in range(256)]

# True when strings are byte sequences read as Latin-1 (Bazel), so this two-byte UTF-8
# literal has length 2; False when strings hold Unicode code points.
_BYTE_STRINGS = len("é") == 2

# Control characters TOML forbids everywhere (tab and newline are allowed).
_CONTROL_CHARS = [_BYTE_CHARS[c] for c in range(32) if c != 9 and c != 10] + [_BYTE_CHARS[127]]

_ESCAPES = {
    "b": _BYTE_CHARS[8],
    "t": "\t",
    "n": "\n",
    "f": _BYTE_CHARS[12],
    "r": "\r",
    '"': '"',
    "\\": "\\",
}

_WS = {" ": True, "\t": True}

_HEX = {c: True for c in "0123456789abcdefABCDEF".elems()}
_DIGITS = {c: True for c in "0123456789".elems()}
_OCT = {c: True for c in "01234567".elems()}
_BIN = {"0": True, "1": True}

_BARE_KEY_CHARS = {
    c: True
    for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-".elems()
}

# Characters that end a number, boolean or date-time token.
_TOKEN_END = {" ": True, "\t": True, ",": True, "]": True, "}": True, "#": True}

# Characters that may follow a bare key.
_AFTER_KEY = {" ": True, "\t": True, ".": True, "=": True, "]": True}

_DAYS_IN_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

def _fail(filename, i, p, msg):
    fail("%s:%d:%d: %s" % (filename, i + 1, p + 1, msg))

def _found(line, p):
    """Describes the character at `p` for an error message."""
    if p >= len(line):
        return "end of line"
    c = line[p]
    if c == "'":
        return "\"'\""

    # Bazel's strings hold bytes: take the whole run of non-ASCII bytes, so a character
    # such as 'é' is named whole rather than by its first byte.
    e = p + 1
    if c > "~":
        for _ in range(p + 1, len(line)):
            if line[e] <= "~":
                break
            e += 1
    return "'" + line[p:e] + "'"

def _fmt_key(parts):
    """Renders a key path the way it would be written in TOML."""
    out = []
    for k in parts:
        bare = k != ""
        for c in k.elems():
            if c not in _BARE_KEY_CHARS:
                bare = False
                break
        out.append(k if bare else json.encode(k))
    return ".".join(out)

def _show_key(parts):
    """A key for a message: "name", "a.b", or a."b c" when some part needs quotes."""
    if len(parts) == 1:
        return json.encode(parts[0])
    text = _fmt_key(parts)
    return text if '"' in text else '"' + text + '"'

def _skip_ws(line, p):
    """Returns the index of the first non-blank character at or after `p`.

    A call costs about a microsecond in Bazel's interpreter, far more than a slice, so hot paths
    step over a single blank themselves and call this only for longer runs.
    """
    for j in range(p, len(line)):
        if line[j] not in _WS:
            return j
    return len(line)

def _split_lines(text, filename):
    """Splits the document into lines after rejecting characters TOML forbids."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")

    # One native scan per forbidden character keeps this linear and fast.
    bad = -1
    for c in _CONTROL_CHARS:
        pos = text.find(c)
        if pos != -1 and (bad == -1 or pos < bad):
            bad = pos
    if bad != -1:
        line_start = text.rfind("\n", 0, bad) + 1
        c = text[bad]
        if c == "\r":
            what = "carriage return not followed by a newline"
        else:
            code = _BYTE_CHARS.index(c)
            what = "control character U+00%s%s" % (_HEX_DIGITS[code // 16].upper(), _HEX_DIGITS[code % 16].upper())
        _fail(filename, text.count("\n", 0, bad), bad - line_start, what + " is not allowed in TOML")
    return text.split("\n")

def _hex4(code):
    return "".join([_HEX_DIGITS[(code // d) % 16] for d in (4096, 256, 16, 1)])

def _char(code):
    """The string for a Unicode scalar value, in the host's string representation."""
    if code < 128:
        return _BYTE_CHARS[code]
    if _BYTE_STRINGS:
        # UTF-8 bytes, one Latin-1 character each, like text read from a file.
        if code < 0x800:
            codes = [0xC0 + code // 64, 0x80 + code % 64]
        elif code < 0x10000:
            codes = [0xE0 + code // 4096, 0x80 + (code // 64) % 64, 0x80 + code % 64]
        else:
            codes = [
                0xF0 + code // 262144,
                0x80 + (code // 4096) % 64,
                0x80 + (code // 64) % 64,
                0x80 + code % 64,
            ]
        return "".join([_BYTE_CHARS[b] for b in codes])
    if code < 0x10000:
        return json.decode('"\\u' + _hex4(code) + '"')
    v = code - 0x10000
    return json.decode('"\\u' + _hex4(0xD800 + v // 1024) + "\\u" + _hex4(0xDC00 + v % 1024) + '"')

def _escape(line, b, i, filename):
    """Decodes the escape sequence whose backslash is at `b`; returns (text, next index)."""
    c = line[b + 1] if b + 1 < len(line) else ""
    s = _ESCAPES.get(c)
    if s != None:
        return s, b + 2
    if c == "u" or c == "U":
        width = 4 if c == "u" else 8
        digits = line[b + 2:b + 2 + width]
        ok = len(digits) == width
        for d in digits.elems():
            if d not in _HEX:
                ok = False
                break
        if not ok:
            _fail(filename, i, b, "invalid escape sequence: \\%s needs %d hex digits, found %s" % (
                c,
                width,
                json.encode(digits),
            ))
        code = int(digits, 16)
        if code > 0x10FFFF or (code >= 0xD800 and code <= 0xDFFF):
            _fail(filename, i, b, "invalid escape sequence \\%s%s: not a Unicode scalar value" % (c, digits))
        return _char(code), b + 2 + width
    if c == "":
        _fail(filename, i, b, "invalid escape sequence: '\\' at end of line (only multi-line basic strings may continue a line)")
    _fail(filename, i, b, "invalid escape sequence '\\%s' (TOML 1.0 allows \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX)" % c)
    return None, b  # unreachable

def _basic_string(line, p, i, filename):
    """Parses a one-line basic string whose quote is at `p`; returns (value, next index)."""
    start = p + 1
    q = line.find('"', start)
    if q == -1:
        _fail(filename, i, p, "unterminated string: expected '\"' before end of line")
    if line.find("\\", start, q) == -1:
        return line[start:q], q + 1

    pieces = []
    pos = start
    for _ in range(_FOREVER):
        if q < pos:
            q = line.find('"', pos)
            if q == -1:
                _fail(filename, i, p, "unterminated string: expected '\"' before end of line")
        b = line.find("\\", pos, q)
        if b == -1:
            pieces.append(line[pos:q])
            return "".join(pieces), q + 1
        pieces.append(line[pos:b])
        s, pos = _escape(line, b, i, filename)
        pieces.append(s)
    return None, p  # unreachable

def _literal_string(line, p, i, filename):
    """Parses a one-line literal string whose quote is at `p`; returns (value, next index)."""
    q = line.find("'", p + 1)
    if q == -1:
        _fail(filename, i, p, "unterminated string: expected \"'\" before end of line")
    return line[p + 1:q], q + 1

def _extra_quotes(line, pos, delim, pieces):
    """A closing delimiter of 4 or 5 quotes keeps the first 1 or 2 as content."""
    for _ in range(2):
        if pos < len(line) and line[pos] == delim:
            pieces.append(delim)
            pos += 1
    return pos

def _multiline_string(lines, i, p, filename, literal):
    """Parses a `\"\"\"` or `'''` string opening at (i, p); returns (value, line, index)."""
    delim = "'" if literal else '"'
    delim3 = delim * 3
    start_i, start_p = i, p
    pos = p + 3

    # A newline right after the opening delimiter is not part of the string.
    if pos == len(lines[i]):
        i += 1
        pos = 0
        if i >= len(lines):
            _fail(filename, start_i, start_p, "unterminated multi-line string: expected %s before end of file" % delim3)

    pieces = []
    q, q_line = -1, -1  # the next closing delimiter on line q_line, found once per line
    for _ in range(_FOREVER):
        line = lines[i]
        if q_line != i or (q != -1 and q < pos):
            q, q_line = line.find(delim3, pos), i
        b = -1 if literal else line.find("\\", pos, len(line) if q == -1 else q)
        if b != -1:
            pieces.append(line[pos:b])
            nxt = line[b + 1] if b + 1 < len(line) else ""
            if nxt == "" or nxt in _WS:
                if line[b + 1:].strip(" \t") != "":
                    _fail(filename, i, b, "invalid escape sequence: '\\' followed by a blank must end the line")

                # Line-ending backslash: drop the newline and all blanks and newlines after it.
                pos = -1
                for _ in range(len(lines)):
                    i += 1
                    if i >= len(lines):
                        break
                    pos = _skip_ws(lines[i], 0)
                    if pos < len(lines[i]):
                        break
                if i >= len(lines):
                    _fail(filename, start_i, start_p, "unterminated multi-line string: expected %s before end of file" % delim3)
                continue
            s, pos = _escape(line, b, i, filename)
            pieces.append(s)
            continue
        if q != -1:
            pieces.append(line[pos:q])
            pos = _extra_quotes(line, q + 3, delim, pieces)
            return "".join(pieces), i, pos
        pieces.append(line[pos:])
        pieces.append("\n")
        i += 1
        pos = 0
        if i >= len(lines):
            _fail(filename, start_i, start_p, "unterminated multi-line string: expected %s before end of file" % delim3)
    return None, i, pos  # unreachable

def _parse_key(line, p, i, filename, memo):
    """Parses a possibly dotted key at `p`; returns (list of parts, index after blanks)."""
    parts = []
    for _ in range(_FOREVER):
        c = line[p:p + 1]
        if c == '"':
            if line[p:p + 3] == '"""':
                _fail(filename, i, p, "expected a key, found a multi-line string (keys must be on one line)")
            k, p = _basic_string(line, p, i, filename)
        elif c == "'":
            if line[p:p + 3] == "'''":
                _fail(filename, i, p, "expected a key, found a multi-line string (keys must be on one line)")
            k, p = _literal_string(line, p, i, filename)
        else:
            # Keys of a lock repeat endlessly: bare keys already validated and followed by
            # a blank are recognised with one native find.
            e = line.find(" ", p)
            k = line[p:e] if e > p else None
            if k in memo:
                p = e
            else:
                start = p
                p = len(line)
                for j in range(start, p):
                    if line[j] not in _BARE_KEY_CHARS:
                        p = j
                        break
                if p == start:
                    _fail(filename, i, p, "expected a key, found %s" % _found(line, p))
                k = line[start:p]
                c = line[p:p + 1]
                if c != "" and c not in _AFTER_KEY:
                    _fail(filename, i, p, "invalid character %s in bare key %s: bare keys may only contain ASCII letters, digits, '_' and '-'; quote other keys" % (
                        _found(line, p),
                        json.encode(k),
                    ))
                if c == " ":
                    memo[k] = True
        parts.append(k)
        if line[p:p + 1] in _WS:
            p += 1
            if line[p:p + 1] in _WS:
                p = _skip_ws(line, p + 1)
        if line[p:p + 1] != ".":
            return parts, p
        p = _skip_ws(line, p + 1)
    return parts, p  # unreachable

def _valid_date(s):
    if len(s) != 10 or s[4] != "-" or s[7] != "-":
        return False
    for j in (0, 1, 2, 3, 5, 6, 8, 9):
        if s[j] not in _DIGITS:
            return False
    year, month, day = int(s[0:4]), int(s[5:7]), int(s[8:10])
    if month < 1 or month > 12 or day < 1 or day > _DAYS_IN_MONTH[month]:
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return not (month == 2 and day == 29 and not leap)

def _valid_time(s):
    """Checks `HH:MM:SS[.fraction]` (seconds are required in TOML 1.0)."""
    if len(s) < 8 or s[2] != ":" or s[5] != ":":
        return False
    for j in (0, 1, 3, 4, 6, 7):
        if s[j] not in _DIGITS:
            return False
    if int(s[0:2]) > 23 or int(s[3:5]) > 59 or int(s[6:8]) > 59:
        return False
    if len(s) == 8:
        return True
    if s[8] != "." or len(s) == 9:
        return False
    for d in s[9:].elems():
        if d not in _DIGITS:
            return False
    return True

def _valid_datetime(s):
    """Checks a local date, local time, local date-time or offset date-time."""
    if len(s) > 2 and s[2] == ":":
        return _valid_time(s)
    if not _valid_date(s[:10]):
        return False
    if len(s) == 10:
        return True
    if s[10] not in ("T", "t", " "):
        return False
    t = s[11:]
    if t.endswith("Z") or t.endswith("z"):
        t = t[:-1]
    elif len(t) > 6 and t[-6] in ("+", "-"):
        off = t[-6:]
        t = t[:-6]
        if off[3] != ":" or not _valid_time(off[1:3] + ":" + off[4:6] + ":00"):
            return False
    return _valid_time(t)

def _valid_digits(s, allowed):
    """Digits from `allowed`, with single underscores only between two digits."""
    if s == "" or s[0] == "_" or s[-1] == "_" or "__" in s:
        return False
    for c in s.elems():
        if c != "_" and c not in allowed:
            return False
    return True

def _valid_decimal(s):
    return _valid_digits(s, _DIGITS) and (s[0] != "0" or len(s) == 1)

def _valid_float(s):
    """Checks the unsigned part of a TOML float: int [. frac] [e [sign] exp], frac or exp present."""
    e = s.find("e")
    if e == -1:
        e = s.find("E")
    mantissa = s if e == -1 else s[:e]
    if e != -1:
        exp = s[e + 1:]
        if exp.startswith("+") or exp.startswith("-"):
            exp = exp[1:]
        if not _valid_digits(exp, _DIGITS):
            return False
    dot = mantissa.find(".")
    if dot == -1:
        return e != -1 and _valid_decimal(mantissa)
    return _valid_decimal(mantissa[:dot]) and _valid_digits(mantissa[dot + 1:], _DIGITS)

def _decimal_exponent(s):
    """The power of ten of the leading digit of a valid unsigned float without '_'."""
    e = s.find("e")
    if e == -1:
        e = s.find("E")
    exp = 0
    if e != -1:
        digits = s[e + 1:].lstrip("+-").lstrip("0")
        exp = int(digits) if digits else 0
        if s[e + 1] == "-":
            exp = -exp
        s = s[:e]
    dot = s.find(".")
    whole = (s if dot == -1 else s[:dot]).lstrip("0")
    if whole:
        return len(whole) - 1 + exp
    frac = s[dot + 1:]
    rest = frac.lstrip("0")
    if not rest:
        return -1  # zero
    return exp - (len(frac) - len(rest)) - 1

def _convert_token(tok, i, p, filename):
    """Converts a number or date-time token; date-times stay strings."""

    # Dates start with four digits and a dash, times with two digits and a colon; no
    # number does either.
    if (len(tok) >= 5 and tok[4] == "-" and _valid_digits(tok[:4], _DIGITS)) or (len(tok) >= 3 and tok[2] == ":"):
        if not _valid_datetime(tok):
            _fail(filename, i, p, "invalid date or time %s (expected e.g. 1979-05-27, 07:32:00 or 1979-05-27T07:32:00Z)" % json.encode(tok))
        return tok

    sign = ""
    s = tok
    if s[0] == "+" or s[0] == "-":
        sign, s = s[0], s[1:]
    if s == "inf" or s == "nan":
        return float(sign + s)
    if len(s) > 1 and s[0] == "0" and s[1] in ("x", "o", "b"):
        base, allowed = {"x": (16, _HEX), "o": (8, _OCT), "b": (2, _BIN)}[s[1]]
        digits = s[2:]
        if sign == "" and _valid_digits(digits, allowed):
            return int(digits.replace("_", ""), base)
    elif "." in s or "e" in s or "E" in s:
        if _valid_float(s):
            s = s.replace("_", "")
            if _decimal_exponent(s) > 308:
                # float() fails here without a position; Python would give inf.
                _fail(filename, i, p, "float %s is out of range: it exceeds the largest 64-bit float" % json.encode(tok))
            return float(sign + s)
    elif _valid_decimal(s):
        v = int(s.replace("_", ""))
        return -v if sign == "-" else v
    if tok[0] in _DIGITS or (len(tok) > 1 and tok[1] in _DIGITS):
        _fail(filename, i, p, "invalid number %s: TOML numbers have no leading zeros, no sign on 0x/0o/0b, '_' only between digits and digits on both sides of '.'" % json.encode(tok))
    _fail(filename, i, p, "invalid value %s: expected a string, number, boolean, date-time, array or inline table" % json.encode(tok))
    return None  # unreachable

def _scalar(lines, i, p, filename):
    """Parses a string, boolean, number or date-time at (i, p); returns (value, line, index)."""
    line = lines[i]
    c = line[p]
    if c == '"':
        if line[p:p + 3] == '"""':
            return _multiline_string(lines, i, p, filename, False)
        v, p = _basic_string(line, p, i, filename)
        return v, i, p
    if c == "'":
        if line[p:p + 3] == "'''":
            return _multiline_string(lines, i, p, filename, True)
        v, p = _literal_string(line, p, i, filename)
        return v, i, p
    if c == "t" and line[p:p + 4] == "true":
        return True, i, p + 4
    if c == "f" and line[p:p + 5] == "false":
        return False, i, p + 5
    if c not in _DIGITS and c not in ("+", "-", "i", "n"):
        _fail(filename, i, p, "expected a value (string, number, boolean, date-time, array or inline table), found %s" % _found(line, p))

    e = _token_end(line, p)

    # A date and a time may be separated by a space: "1979-05-27 07:32:00".
    if (e - p == 10 and line[p + 4] == "-" and line[e:e + 1] == " " and
        line[e + 1:e + 2] in _DIGITS and line[e + 2:e + 3] in _DIGITS and line[e + 3:e + 4] == ":"):
        e = _token_end(line, e + 1)
    return _convert_token(line[p:e], i, p, filename), i, e

def _token_end(line, p):
    for j in range(p, len(line)):
        if line[j] in _TOKEN_END:
            return j
    return len(line)

def _key_and_equals(line, i, p, filename, memo, where):
    """Parses `key =` at `p` the slow way; returns (list of parts, index after '=')."""
    parts, p = _parse_key(line, p, i, filename, memo)
    if line[p:p + 1] != "=":
        _fail(filename, i, p, "expected '=' after key %s%s, found %s" % (_show_key(parts), where, _found(line, p)))
    return parts, p + 1

def _inline_store(table, dc, parts, kl, kp, value, filename):
    """Stores a value under a (possibly dotted) key of an inline table.

    `dc` mirrors the tables created by dotted keys in this inline table: only those may
    receive more dotted keys; inline values are immutable.
    """
    for j in range(len(parts) - 1):
        k = parts[j]
        if k in table:
            if k not in dc:
                _fail(filename, kl, kp, "cannot add key %s to inline table: %s is already defined as a value" % (
                    _show_key(parts),
                    _show_key(parts[:j + 1]),
                ))
        else:
            table[k] = {}
            dc[k] = {}
        table = table[k]
        dc = dc[k]
    stem = parts[-1]
    if stem in table:
        _fail(filename, kl, kp, "duplicate key %s in inline table" % _show_key(parts))
    table[stem] = value

def _after_value_error(line, i, p, end, open_i, open_p, filename):
    """Fails on what follows a value inside an array or inline table when it is not ',' or the closer."""
    opened = "opened at line %d, column %d" % (open_i + 1, open_p + 1)
    if end == "]":
        _fail(filename, i, p, "expected ',' or ']' after array element (array %s), found %s" % (opened, _found(line, p)))
    if p >= len(line):
        _fail(filename, i, p, "newline inside inline table %s: expected ',' or '}' (inline tables must be on one line)" % opened)
    _fail(filename, i, p, "expected ',' or '}' after value in inline table (%s), found %s" % (opened, _found(line, p)))

# What _parse_entry expects next at the current position.
_KEY = 0  # a key, after ',' in an inline table
_FIRST_KEY = 1  # a key, first in an inline table (or the entry's own key); '}' closes the table
_VALUE = 2  # a value; in an array ']' closes it
_AFTER = 3  # what follows a value: ',' or the closer, or the end of the entry's line

def _parse_entry(lines, i, p, filename, memo):
    """Parses a `key = value` line starting at (i, p), arrays and inline tables included.

    Returns (key parts, key line, key column, value, line, index after the blanks that follow
    the value). Starlark forbids recursion, so one loop walks the tokens (keys, values,
    separators, closers) of every nesting level, with the enclosing containers on an
    explicit stack. Each token starts with the one blank-skipping step of the loop and
    calls no helper in the shapes that fill a lock (bare keys seen before, one-line strings,
    single blanks, one array element a line): a call costs about a microsecond in Bazel's
    interpreter (see _skip_ws), more than a few more loop turns.
    """

    # The innermost open container: `end` is its closer ("\n", which no line holds, for the
    # entry itself), `cur` its list or dict, `dc` its dotted-key tables (see _inline_store),
    # `key` the pending key (parts, line, column) and (open_i, open_p) where it opened.
    end, cur, dc, open_i, open_p = "\n", None, None, i, p
    key, key_i, key_p = None, i, p
    stack = []  # the enclosing containers, as tuples of the variables above
    state = _FIRST_KEY
    value = None
    line = lines[i]
    for _ in range(_FOREVER):
        c = line[p:p + 1]
        if c in _WS:
            p += 1
            c = line[p:p + 1]
            if c in _WS:
                p = _skip_ws(line, p + 1)
                c = line[p:p + 1]
        if end == "]" and (c == "" or c == "#"):
            # Arrays may span lines and hold comments; their items in a lock are indented
            # by four spaces.
            i += 1
            if i >= len(lines):
                _fail(filename, open_i, open_p, "unclosed array: expected ']' before end of file")
            line = lines[i]
            p = 4 if line[:4] == "    " and line[4:5] not in _WS else 0
            continue

        if c == end and (state == _AFTER or state == (_VALUE if end == "]" else _FIRST_KEY)):
            value = cur
            end, cur, dc, open_i, open_p, key, key_i, key_p = stack.pop()
            p += 1
        elif state == _VALUE:
            if c == '"' and line[p + 1:p + 3] != '""':
                q = line.find('"', p + 1)
                if q != -1 and line.find("\\", p + 1, q) == -1:
                    value = line[p + 1:q]
                    p = q + 1
                else:
                    value, p = _basic_string(line, p, i, filename)
            elif c == "{" or c == "[":
                stack.append((end, cur, dc, open_i, open_p, key, key_i, key_p))
                open_i, open_p = i, p
                p += 1
                if c == "[":
                    end, cur = "]", []
                else:
                    end, cur, dc = "}", {}, {}
                    state = _FIRST_KEY
                continue
            elif c == "" or c == "#":
                _fail(filename, i, p, "expected a value, found %s" % ("end of line" if c == "" else "a comment"))
            else:
                value, i, p = _scalar(lines, i, p, filename)
                line = lines[i]
        elif state == _AFTER:
            if end == "\n":
                if c != "" and c != "#":
                    _fail(filename, i, p, "expected end of line after the value of key %s, found %s" % (_show_key(key), _found(line, p)))
                return key, key_i, key_p, value, i, p
            if c != ",":
                _after_value_error(line, i, p, end, open_i, open_p, filename)
            state = _VALUE if end == "]" else _KEY
            p += 1
            continue
        else:
            if c == "":
                if state == _FIRST_KEY:
                    _fail(filename, i, p, "newline inside inline table opened at column %d: inline tables must be on one line" % (open_p + 1))
                _fail(filename, i, p, "newline inside inline table opened at line %d, column %d: inline tables must be on one line" % (open_i + 1, open_p + 1))
            if c == "}" and state == _KEY:
                _fail(filename, i, p, "trailing comma in inline table: expected a key, found '}'")
            key_i, key_p = i, p

            # `key = ` with a bare key seen before (see _parse_key): one native find.
            e = line.find(" ", p)
            k = line[p:e] if e > p else None
            if k in memo and line[e + 1:e + 2] == "=":
                key = [k]
                p = e + 2
            else:
                key, p = _key_and_equals(line, i, p, filename, memo, " in inline table" if end == "}" else "")
            state = _VALUE
            continue

        # A value is complete: hand it to the container it belongs to.
        state = _AFTER
        if end == "]":
            cur.append(value)
        elif end == "}":
            if len(key) == 1 and key[0] not in cur:
                cur[key[0]] = value
            else:
                _inline_store(cur, dc, key, key_i, key_p, value, filename)
    return None, i, p, None, i, p  # unreachable

def _flags_get(flags, key, flag):
    """The line where `flag` was set on `key` (or, recursively, on a parent), or None."""
    if not key:
        return None
    cont = flags
    for k in key[:-1]:
        node = cont.get(k)
        if node == None:
            return None
        if flag in node["r"]:
            return node["r"][flag]
        cont = node["n"]
    node = cont.get(key[-1])
    if node == None:
        return None
    return node["f"].get(flag, node["r"].get(flag))

def _flags_set(flags, key, flag, recursive, line):
    cont = flags
    node = None
    for k in key:
        node = cont.get(k)
        if node == None:
            node = {"f": {}, "r": {}, "n": {}}
            cont[k] = node
        cont = node["n"]
    node["r" if recursive else "f"][flag] = line

def _flags_unset_all(flags, key):
    cont = flags
    for k in key[:-1]:
        node = cont.get(k)
        if node == None:
            return
        cont = node["n"]
    cont.pop(key[-1], None)

def _get_or_create_nest(table, key):
    """Walks `key` from `table`, creating tables and entering the last element of arrays.

    Returns (table, -1), or (None, j) when key[j] holds something other than a table.
    """
    for j in range(len(key)):
        k = key[j]
        if k not in table:
            table[k] = {}
        nxt = table[k]
        if type(nxt) == "list":
            if not nxt:
                return None, j
            nxt = nxt[-1]
        if type(nxt) != "dict":
            return None, j
        table = nxt
    return table, -1

def _parse_header(line, p, i, filename, memo):
    """Parses a `[table]` or `[[array]]` line; returns (is array, key, column of the key)."""
    aot = line[p:p + 2] == "[["
    p = _skip_ws(line, p + (2 if aot else 1))
    key_p = p
    key, p = _parse_key(line, p, i, filename, memo)
    close = "]]" if aot else "]"
    if line[p:p + len(close)] != close:
        _fail(filename, i, p, "expected '%s' after table name %s, found %s" % (close, _show_key(key), _found(line, p)))
    p = _skip_ws(line, p + len(close))
    if p < len(line) and line[p] != "#":
        _fail(filename, i, p, "expected end of line after %s, found %s" % (("[[%s]]" if aot else "[%s]") % _fmt_key(key), _found(line, p)))
    return aot, key, key_p

def _header_name(aot, key):
    return ("array of tables [[%s]]" if aot else "table [%s]") % _fmt_key(key)

def _header(doc, flags, line, p, i, filename, memo):
    """Handles a `[table]` or `[[array]]` line; returns (header key, current table)."""

    # A lock repeats the same few header lines thousands of times: parse each once. The
    # "\n" keeps these entries apart from the bare keys of the memo.
    parsed = memo.get("\n" + line)
    if parsed == None:
        parsed = _parse_header(line, p, i, filename, memo)
        memo["\n" + line] = parsed
    aot, key, key_p = parsed
    frozen = _flags_get(flags, key, _FROZEN)
    if frozen != None:
        _fail(filename, i, key_p, "cannot define %s: it would extend the inline table or array assigned at line %d" % (_header_name(aot, key), frozen))
    if aot:
        # A new element: everything defined under the previous element may be defined again.
        _flags_unset_all(flags, key)
        _flags_set(flags, key, _EXPLICIT, False, i + 1)
        parent, bad = _get_or_create_nest(doc, key[:-1])
        if parent == None:
            _fail(filename, i, key_p, "cannot define %s: key %s is already defined as a value" % (_header_name(aot, key), _show_key(key[:bad + 1])))
        items = parent.get(key[-1])
        if items == None:
            items = []
            parent[key[-1]] = items
        elif type(items) != "list":
            _fail(filename, i, key_p, "cannot define %s: key %s is already defined as a %s" % (
                _header_name(aot, key),
                _show_key(key),
                "table" if type(items) == "dict" else "value",
            ))
        table = {}
        items.append(table)
        return key, table
    explicit = _flags_get(flags, key, _EXPLICIT)
    if explicit != None:
        _fail(filename, i, key_p, "%s is already defined at line %d" % (_header_name(aot, key), explicit))
    _flags_set(flags, key, _EXPLICIT, False, i + 1)
    table, bad = _get_or_create_nest(doc, key)
    if table == None:
        _fail(filename, i, key_p, "cannot define %s: key %s is already defined as a value" % (_header_name(aot, key), _show_key(key[:bad + 1])))
    return key, table

def _store(table, flags, pending, header, parts, value, i, p, filename):
    """Stores `parts = value` in the current table, enforcing TOML's redefinition rules."""
    if len(parts) == 1:
        stem = parts[0]
        if stem in table:
            _fail(filename, i, p, "duplicate key %s%s" % (json.encode(stem), " in [%s]" % _fmt_key(header) if header else ""))
        table[stem] = value
    else:
        for j in range(1, len(parts)):
            cont = header + parts[:j]
            line = _flags_get(flags, cont, _EXPLICIT)
            if line != None:
                _fail(filename, i, p, "cannot add key %s with dotted keys: table [%s] is already defined at line %d" % (
                    _show_key(parts),
                    _fmt_key(cont),
                    line,
                ))

            # Tables made by dotted keys are closed once the next header starts.
            pending.append((cont, i + 1))
        frozen = _flags_get(flags, header + parts[:-1], _FROZEN)
        if frozen != None:
            _fail(filename, i, p, "cannot add key %s: it would extend the inline table or array assigned at line %d" % (_show_key(parts), frozen))
        nest, bad = _get_or_create_nest(table, parts[:-1])
        if nest == None:
            _fail(filename, i, p, "cannot add key %s: %s is already defined as a value" % (_show_key(parts), _show_key(parts[:bad + 1])))
        if parts[-1] in nest:
            _fail(filename, i, p, "duplicate key %s" % _show_key(header + parts))
        nest[parts[-1]] = value
    if type(value) == "dict" or type(value) == "list":
        _flags_set(flags, header + parts, _FROZEN, True, i + 1)

def decode_toml(text, filename = "<string>", positions = None):
    """Decodes a TOML 1.0 document.

    Args:
      text: the document, as returned by `repository_ctx.read` or `module_ctx.read`.
      filename: the name used in error messages.
      positions: None, or a list this call fills with where each table starts and where
        each of its keys is written, for messages about the values: one dict
        `{"header": [key, ...], "line": n, "col": n, "keys": {first key part: (line, col)}}`
        per table header in document order (the root table first, with header []). An
        `[[array]]` header adds one entry per element. Lines and columns are 1-based.

    Returns:
      A dict: tables and inline tables are dicts, arrays (of tables) are lists, strings,
      integers, floats and booleans are Starlark values, and date-times, dates and times
      are their TOML text as strings.

    Invalid TOML fails with "<filename>:<line>:<column>: <what was expected and found>".
    """
    lines = _split_lines(text, filename)
    doc = {}
    flags = {}  # tomllib-style flags: key name -> {"f": {}, "r": {}, "n": {children}}
    pending = []  # (key path, line) of tables created by dotted keys in this section
    header = []
    table = doc
    memo = {}  # validated bare keys, see _parse_key
    keys_at = None  # where the current table's keys are written, when positions are wanted
    if positions != None:
        keys_at = {}
        positions.append({"header": [], "line": 1, "col": 1, "keys": keys_at})
    n = len(lines)
    i = 0
    for _ in range(n):
        if i >= n:
            break
        line = lines[i]
        p = _skip_ws(line, 1) if line[:1] in _WS else 0
        c = line[p:p + 1]
        if c == "" or c == "#":
            i += 1
            continue
        if c == "[":
            for key, defined in pending:
                _flags_set(flags, key, _EXPLICIT, False, defined)
            pending = []
            header, table = _header(doc, flags, line, p, i, filename, memo)
            if keys_at != None:
                keys_at = {}
                positions.append({"header": header, "line": i + 1, "col": p + 1, "keys": keys_at})
            i += 1
            continue

        parts, key_i, key_p, value, i, p = _parse_entry(lines, i, p, filename, memo)
        if keys_at != None:
            keys_at[parts[0]] = (key_i + 1, key_p + 1)
        if len(parts) == 1 and parts[0] not in table and type(value) not in ("dict", "list"):
            table[parts[0]] = value
        else:
            _store(table, flags, pending, header, parts, value, key_i, key_p, filename)
        i += 1
    return doc
