"""
Card descriptions are GitHub-flavoured Markdown written by board members,
rendered when saved and sanitised with nh3 against an explicit allow-list:
no script, styles, event attributes, raw HTML or images (an image would be
fetched from any address by every viewer), links only to http, https and
mailto, opened in a new tab with rel="nofollow noopener noreferrer ugc",
task-list checkboxes always disabled.

Rendering takes time in proportion to the text, whatever a member types
(Python-Markdown, used before, took 20 s of CPU for 10,000 `[`). The parser
is cmark-gfm, GitHub's own in C, linear-time by design (through cmarkgfm);
markdown-it-py took up to 285 ms on descriptions of the allowed length
(docs/performance.md). Two steps stay superlinear even so, and are bounded
here:

- GFM pads every short table row with empty cells up to the header's
  width, so a wide header over many one-word lines makes output quadratic
  in the text (cmark-gfm stops near 500,000 cells: 300 ms). Text whose
  tables could hold more than MAX_TABLE_CELLS cells is rendered without
  the table extension: its pipes stay text.
- html5ever, nh3's parser, takes time quadratic in the nesting depth
  (10,000 `>` nest 10,000 quotes: 400 ms). HTML nested deeper than
  MAX_DEPTH, or with more than MAX_TAGS tags, is replaced by the text as
  written, in a <pre>.
"""

import html
import re

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options

EXTENSIONS = ("autolink", "strikethrough", "tasklist", "table")
EXTENSIONS_BUT_TABLES = ("autolink", "strikethrough", "tasklist")
# Default options: raw HTML and `javascript:`, `vbscript:`, `file:` and
# `data:` links are left out by cmark itself ("safe" mode, no CMARK_OPT_UNSAFE).
OPTIONS = Options.CMARK_OPT_DEFAULT

MAX_TABLE_CELLS = 8_000
MAX_TAGS = 12_000
MAX_DEPTH = 32

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "a",
    "table", "thead", "tbody", "tr", "th", "td", "input",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "input": {"checked"}}
ALLOWED_ATTRIBUTE_VALUES = {
    "th": {"align": {"left", "center", "right"}},
    "td": {"align": {"left", "center", "right"}},
    "input": {"type": {"checkbox"}},
}
# Task-list items are shown, never ticked from the description: their
# checkbox is always a disabled one, whatever the HTML said.
FORCED_ATTRIBUTES = {"a": {"target": "_blank"}, "input": {"type": "checkbox", "disabled": ""}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow noopener noreferrer ugc"

SPACE = " \t\v\f"  # what cmark-gfm's table rows count as space
SURROGATE = re.compile("[\ud800-\udfff]")
LINE_END = re.compile(r"\r\n?|\n")  # CommonMark's line endings
TAG = re.compile(r"<(?:(/)|(br|hr|img|input)\b|[a-z])")  # (closing, void) for each tag cmark writes


def render_description(text):
    """Sanitised HTML for a Markdown description ("" for an empty one)."""
    if not text.strip():
        return ""
    return nh3.clean(
        markdown_html(text),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        tag_attribute_values=ALLOWED_ATTRIBUTE_VALUES,
        set_tag_attribute_values=FORCED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        # cmark leaves `href=""` where it dropped an unsafe URL: no link at all then.
        url_relative=lambda url: url or None,
        link_rel=LINK_REL,
    )


def render_descriptions(texts):
    """{text: its sanitised HTML} for each text."""
    return {text: render_description(text) for text in set(texts)}


def markdown_html(text):
    """cmark-gfm's HTML for `text`, within the bounds above; not yet sanitised."""
    text = encodable(text)
    extensions = EXTENSIONS if table_cells_at_most(text) <= MAX_TABLE_CELLS else EXTENSIONS_BUT_TABLES
    rendered = cmarkgfm.markdown_to_html_with_extensions(text, options=OPTIONS, extensions=extensions)
    if rendered.count("<") > MAX_TAGS or nesting_depth(rendered) > MAX_DEPTH:
        return f"<pre>{html.escape(text, quote=False)}</pre>"
    return rendered


def encodable(text):
    """`text` with lone surrogates (which JSON can carry but UTF-8 cannot) replaced by U+FFFD."""
    return SURROGATE.sub("\ufffd", text)


def table_cells_at_most(text):
    """
    An upper bound on the cells GFM tables in `text` can hold, padding
    included: a table's width is the number of cells of its delimiter row
    (`|---|:-:|`), each holding a run of `-`, and its rows end at the next
    blank line. Lines that merely look like delimiter rows (`---`, `- - -`)
    are counted too, which only raises the bound.
    """
    cells = 0
    rows_below = 0  # the lines below this one, up to the next blank line
    for line in reversed(LINE_END.split(text)):
        if not line.strip(SPACE):
            rows_below = 0
            continue
        row = line.lstrip(SPACE + ">")  # blockquote markers and indentation
        if "-" in row and not row.strip(SPACE + "|:-"):
            cells += sum(1 for cell in row.split("|") if "-" in cell) * (rows_below + 1)  # + the header row
        rows_below += 1
    return cells


def nesting_depth(rendered):
    """How deeply cmark's elements nest (its output has no raw HTML: every `<` opens or closes one of its tags)."""
    depth = deepest = 0
    for closing, void in TAG.findall(rendered):
        if closing:
            depth -= 1
        elif not void:
            depth += 1
            deepest = max(deepest, depth)
    return deepest
