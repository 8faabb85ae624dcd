"""The backprop report's page: HTML around the diagram, the code and the claims, with the
style sheet ``report.css`` and the script ``report.js`` (package data) written inline.

Everything from the user's graph is escaped: ``html.escape`` in the page, and the data
for the script is one JSON blob in a ``<script type="application/json">`` whose ``<``,
``>`` and ``&`` are written as ``\\u003c`` and so on, so no node name can end the script
(or open a comment or another script inside it). A Content-Security-Policy lets
the page load nothing at all, so it opens from disk and never touches the network, and
lets run only the one script whose SHA-256 it names: were markup ever to slip into the
page, its ``onerror=`` or ``<script>`` would not run.

>>> mark_svg('<g id="node1" class="node">\\n<title>n3</title>', [])
'<g id="node1" class="node" data-node="3">\\n<title>n3</title>'
"""

import base64
import functools
import hashlib
import html
import importlib.resources
import json
import re

#: Nothing may be loaded: no fetch, no image, no font; inline style, and of scripts only
#: the page's own (``{script}``: its hash; see ``policy``).
POLICY = "default-src 'none'; style-src 'unsafe-inline'; script-src {script}; img-src data:"

_GROUP = re.compile(r'<g id="[^"]*" class="(node|edge)(?: [^"]*)?"'
                    r'(?=>\s*<title>([^<]*)</title>)')
_NODE_TITLE = re.compile(r"n(\d+)")
_EDGE_TITLE = re.compile(r"n(\d+)->n(\d+)")
_PROLOG = re.compile(r"<\?xml.*?\?>|<!DOCTYPE.*?>|<!--.*?-->", re.S)


@functools.lru_cache(maxsize=None)
def asset(name):
    """The text of a file shipped beside this module (``report.css``, ``report.js``)."""
    return importlib.resources.files(__package__).joinpath(name).read_text("utf-8")


def mark_svg(svg, pairs):
    """Graphviz's SVG with ``data-node="id"`` on each node group and ``data-edge="i"`` on
    the group of the ``i``-th of ``pairs`` (``(u, v)`` flow edges), read from the
    ``<title>`` Graphviz gives each group (the DOT ids ``n{id}``, ``n{u}->n{v}``); an edge
    drawn either way round is found, and repeated edges are taken in order."""
    unused = list(enumerate(pairs))

    def mark(match):
        kind, title = match.group(1), html.unescape(match.group(2))
        if kind == "node":
            found = _NODE_TITLE.fullmatch(title)  # a number: nothing else enters the tag
            return f'{match.group(0)} data-node="{found.group(1)}"' if found else \
                match.group(0)
        found = _EDGE_TITLE.fullmatch(title)
        if found:
            a, b = int(found.group(1)), int(found.group(2))
            for j, (i, (u, v)) in enumerate(unused):
                if (u, v) in ((a, b), (b, a)):
                    del unused[j]
                    return f'{match.group(0)} data-edge="{i}"'
        return match.group(0)

    return _GROUP.sub(mark, svg)


def policy(script):
    """The Content-Security-Policy of a page whose one script is the text ``script``
    (what stands between ``<script>`` and ``</script>``): its SHA-256, as CSP spells it.

    >>> policy("1").split("; ")[2]
    "script-src 'sha256-a4ayc/80/OGda4BO/1o/V0etpOqiLx1JwB5S3beHW0s='"
    """
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    return POLICY.format(script=f"'sha256-{digest}'")


def page(data, svg, code, verdicts):
    """The whole HTML page: ``data`` for the script, the marked ``svg``, ``code`` as
    ``(line, node id or None)`` pairs, ``verdicts`` a CheckReport or None."""
    title = html.escape(data["title"])
    blob = json.dumps(data, sort_keys=True, ensure_ascii=True)
    for char in "<>&":  # only inside JSON strings, where \u escapes read back the same
        blob = blob.replace(char, f"\\u{ord(char):04x}")
    steps = len(data["steps"])
    script = f"\n{asset('report.js')}"
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{policy(script)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title>", f"<style>\n{asset('report.css')}</style>", "</head>",
        "<body>", f"<header><h1>{title}</h1>",
        f'<p class="at">at {html.escape(data["at"])}. Click a node or an edge; move the '
        f"slider to walk backprop a step at a time.</p></header>",
        "<main>",
        f'<section id="gc-diagram" aria-label="gradient flow">{_PROLOG.sub("", svg).strip()}'
        f"</section>",
        '<section id="gc-stepper"><button id="gc-play" type="button">Play</button>',
        f'<input id="gc-step" type="range" min="0" max="{steps}" value="0" step="1" '
        f'aria-label="backprop step">',
        '<span id="gc-step-text">the forward pass: each node\'s value</span></section>',
        '<div class="below"><div class="column">',
        '<section id="gc-panel" aria-live="polite"><h2 id="gc-panel-title">What a node '
        'computes</h2><div id="gc-panel-body"><p>Click a node or an edge of the diagram.'
        "</p></div></section>",
        _claims_section(verdicts), '</div><div class="column">', _code_section(code),
        "</div></div></main>",
        f'<script type="application/json" id="gc-data">{blob}</script>',
        f"<script>{script}</script>", "</body>", "</html>"]
    return "\n".join(p for p in parts if p) + "\n"


def _code_section(code):
    lines = []
    for text, v in code:
        attr = "" if v is None else f' data-node="{v}"'
        lines.append(f'<span class="line"{attr}>{html.escape(text) or " "}</span>')
    return ('<section id="gc-code"><h2>The generated NumPy code (opt=0, a line a node)</h2>'
            f'<pre><code>{"".join(lines)}</code></pre></section>')


def _claims_section(verdicts):
    if verdicts is None:
        return ""
    head = ["claim", "claimed", "its value", "derived", "verdict"]
    rows = ["<tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    for result, cells in zip(verdicts.results, verdicts.rows()):
        kind = "holds" if result.holds else "wrong"
        tds = "".join(f"<td>{html.escape(str(c))}</td>" for c in cells)
        rows.append(f'<tr class="{kind}">{tds}</tr>')
    wrong = verdicts.first_wrong
    summary = ("every claim holds" if wrong is None else
               f"first wrong step: {wrong.key}" + (f" ({wrong.slip})" if wrong.slip else ""))
    return ('<section id="gc-claims"><h2>The claims, checked</h2>'
            f'<table>{"".join(rows)}</table><p class="summary">{html.escape(summary)}</p>'
            "</section>")
