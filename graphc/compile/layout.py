"""Laying out generated statements within 100 columns: the comment beside the statement
when both fit, else on the lines above it; a long expression broken inside brackets, at
the shallowest commas and operators that reach far enough.

>>> statement("dloss_dH", "dloss_dlogits @ W2.T", "d(H @ W2)/dH = ct @ W2.T", indent=4)
['dloss_dH = dloss_dlogits @ W2.T  # d(H @ W2)/dH = ct @ W2.T']
>>> for line in statement("y", " + ".join(["a_long_name"] * 9), "", indent=0, width=40):
...     print(line)
y = (a_long_name + a_long_name
     + a_long_name + a_long_name
     + a_long_name + a_long_name
     + a_long_name + a_long_name
     + a_long_name)
"""

import ast
import re
import textwrap

WIDTH = 100
_DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
_OPERATORS = (" + ", " - ", " * ", " / ", " @ ", " // ", " ** ")


def is_atom(text):
    """True when ``text`` needs no parentheses as an operand: a name, a call, an attribute,
    a subscript or a non-negative number."""
    if _DOTTED.fullmatch(text):  # x, W2.T: the common case, without parsing
        return True
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return False
    if isinstance(node, ast.Constant):
        return not str(text).startswith("-")
    return isinstance(node, (ast.Name, ast.Call, ast.Attribute, ast.Subscript))


def statement(target, text, comment, indent, width=WIDTH, aside=False):
    """The lines of ``target = text  # comment``, none wider than ``width`` counting the
    ``indent`` they will be given; a comment ``aside`` is left out where it does not fit
    beside the statement."""
    room = width - indent
    line = f"{target} = {text}"
    if comment and len(line) + len(comment) + 4 <= room:
        return [f"{line}  # {comment}"]
    if aside:
        comment = ""
    above = [f"# {row}" for row in textwrap.wrap(comment, room - 2,
                                                  break_on_hyphens=False)] if comment else []
    return above + wrap(line, room, len(target) + 3)


def wrap(line, width, start):
    """``line`` broken inside brackets so no line passes ``width`` where it can be helped;
    the expression begins at column ``start`` (after ``target = ``)."""
    if len(line) <= width:
        return [line]
    head, body = line[:start], line[start:]
    if _breaks(body, 0):  # breaks at the top level need brackets to continue a line
        body = f"({body})"
    return _pack(head + body, len(head), width)


def rows(items, width):
    """``items`` joined by ``, `` in rows of at most ``width`` characters (one item a row
    at least), for ``del a, b, c`` and other lists."""
    out, row = [], []
    for item in items:
        if row and len(", ".join(row + [item])) > width:
            out.append(", ".join(row))
            row = []
        row.append(item)
    return out + [", ".join(row)] if row else out


def _breaks(text, depth):
    """Positions in ``text`` where a line may break at bracket ``depth``: just inside an
    opening bracket, after ``, `` or before a binary operator (outside strings)."""
    out, level, quote = [], 0, None
    for i, ch in enumerate(text):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            level += 1
            if level == depth and text[i + 1:i + 2] not in ")]}":  # inside a call's brackets
                out.append(i + 1)
        elif ch in ")]}":
            level -= 1
        elif level == depth and text.startswith(", ", i):
            out.append(i + 2)
        elif level == depth and any(text.startswith(op, i) for op in _OPERATORS):
            out.append(i + 1)
    return out


def _pack(line, start, width):
    """Greedy: each line goes as far as it can, breaking at the shallowest depth whose
    breaks let it fit; continuation lines line up just inside the first bracket, or four
    columns in when that bracket is far to the right (a long variable name)."""
    candidates = sorted({(p, d) for d in range(1, 12) for p in _breaks(line, d)})
    lines, begin, pad = [], 0, start + 1 if start + 1 <= width // 3 else 4
    while len(line) - begin + (pad if lines else 0) > width:
        room = width - (pad if lines else 0)
        fits = [(d, -p) for p, d in candidates if begin < p - 1 and p - begin <= room]
        if not fits:
            break
        depth = min(d for d, _ in fits)
        end = -min(q for d, q in fits if d == depth)
        lines.append(line[begin:end].rstrip())
        begin = end
    lines.append(line[begin:])
    return [lines[0]] + [" " * pad + row for row in lines[1:]]
