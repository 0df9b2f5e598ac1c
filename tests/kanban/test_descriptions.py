"""
Card descriptions (kanban.descriptions): GitHub-flavoured Markdown rendered
right, sanitised, and in time proportional to the text, whatever it holds.

Time itself is measured by `manage.py bench markdown` (under 50 ms of CPU
for each adversarial description of the allowed length); these tests check
what makes it linear: cmark-gfm parses in linear time, and the two
superlinear steps after it (GFM's table padding, nh3's parser on deep
nesting) are bounded.
"""

import re
from html.parser import HTMLParser

import cmarkgfm
from django.test import SimpleTestCase
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kanban import descriptions
from kanban.descriptions import (
    MAX_DEPTH,
    MAX_TABLE_CELLS,
    MAX_TAGS,
    markdown_html,
    nesting_depth,
    render_description,
    table_cells_at_most,
)
from kanban.models import CARD_DESCRIPTION_MAX_LENGTH

LIMIT = CARD_DESCRIPTION_MAX_LENGTH
ADVERSARIAL = settings(
    max_examples=150, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# What Markdown parsers have been slow on: brackets, images and links that
# never close, emphasis and strikethrough runs, backtick runs, link
# reference definitions, raw HTML and entities, autolinks, long lines, and
# lines nested by `>`, list markers, indentation and table pipes.
PIECES = (
    "[", "]", "![", "](", "[a](", "[a]", "[^", "(", ")", "<", ">", "</", "<a ", "&#", "&", "\\",
    "*", "_", "**", "__", "*_", "_*", "*a", "a*", "~", "~~", "`", "``", "```", "~~~",
    "[a]: /u\n", "[a]: <", "[a]\n", '"', "'",
    "\n", "\n\n", "> ", ">", "- ", "* ", "+ ", "1. ", "1) ", "  ", "    ", "\t", "- [ ] ", "- [x] ",
    "|", "|-", "-|", ":", "-", "---\n", "#",
    "a", "word ", "http://", "https://a.b/", "www.", "@", "a@b.c ", "javascript:", "\u2028", "\r",
)
unit = st.lists(st.sampled_from(PIECES), min_size=1, max_size=4).map("".join)
run = st.tuples(unit, st.integers(1, LIMIT)).map(lambda pair: (pair[0] * (pair[1] // len(pair[0]) + 1))[: pair[1]])
adversarial = st.lists(run, min_size=1, max_size=4).map(lambda runs: "".join(runs)[:LIMIT])
table_like = st.lists(st.sampled_from(("|", "-", ":", " ", "\t", "a", "\n", "\n\n", ">", "> ", "- ", "  ", "\r", "`")),
                      max_size=200).map("".join)

TABLE_CELL = re.compile(r"<t[hd][ >]")


class TagsAndAttributes(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def elements(html):
    parser = TagsAndAttributes()
    parser.feed(html)
    parser.close()
    return parser.found


class GitHubFlavouredMarkdownTests(SimpleTestCase):
    def test_strikethrough(self):
        self.assertEqual(render_description("~~old~~ and ~gone~"), "<p><del>old</del> and <del>gone</del></p>\n")

    def test_bare_urls_emails_and_www_are_links(self):
        html = render_description("See https://example.com/a?b=c, www.example.org and help@example.com.")
        rel = 'target="_blank" rel="nofollow noopener noreferrer ugc"'
        self.assertIn(f'<a href="https://example.com/a?b=c" {rel}>https://example.com/a?b=c</a>', html)
        self.assertIn(f'<a href="http://www.example.org" {rel}>www.example.org</a>', html)
        self.assertIn(f'<a href="mailto:help@example.com" {rel}>help@example.com</a>', html)

    def test_task_lists_show_disabled_checkboxes(self):
        html = render_description("- [ ] write\n- [x] review")
        self.assertEqual(
            html,
            '<ul>\n<li><input type="checkbox" disabled=""> write</li>\n'
            '<li><input type="checkbox" checked="" disabled=""> review</li>\n</ul>\n',
        )

    def test_tables_with_alignment(self):
        html = render_description("| task | points |\n|:-----|-------:|\n| a | 3 |\n| b |")
        self.assertIn('<th align="left">task</th>\n<th align="right">points</th>', html)
        self.assertIn('<td align="left">a</td>\n<td align="right">3</td>', html)
        self.assertIn('<td align="left">b</td>\n<td align="right"></td>', html, "a short row is padded")

    def test_lists_nest_by_two_spaces_and_keep_their_start_number(self):
        # Python-Markdown, used before, needed four spaces and restarted numbering at 1.
        html = render_description("- a\n  - b\n    - c\n\n3. three\n4. four")
        self.assertIn("<ul>\n<li>a\n<ul>\n<li>b\n<ul>\n<li>c</li>\n</ul>\n</li>\n</ul>\n</li>\n</ul>", html)
        self.assertIn('<ol start="3">\n<li>three</li>', html)

    def test_fenced_code_is_shown_as_written(self):
        html = render_description('```python\nif a < b:\n    print("<b>")\n```')
        self.assertEqual(html, "<pre><code>if a &lt; b:\n    print(\"&lt;b&gt;\")\n</code></pre>\n")

    def test_emphasis_headings_quotes_and_breaks(self):
        html = render_description("# Plan\n\n**bold** _it_ `code`\n> quoted  \nline")
        self.assertIn("<h1>Plan</h1>", html)
        self.assertIn("<strong>bold</strong> <em>it</em> <code>code</code>", html)
        self.assertIn("<blockquote>\n<p>quoted<br>\nline</p>\n</blockquote>", html)

    def test_an_empty_description_renders_to_nothing(self):
        self.assertEqual(render_description(" \n\t"), "")


class SanitisingTests(SimpleTestCase):
    def test_script_handlers_and_raw_html_are_left_out(self):
        html = render_description(
            "<script>alert(1)</script>\n\ntext <img src=x onerror=alert(1)> <b onclick=x()>bold</b>\n\n"
            '<iframe src="https://evil.example"></iframe>\n\n<div style="position:fixed">over</div>'
        )
        self.assertEqual(html.strip(), "<p>text  bold</p>")

    def test_links_to_javascript_and_other_unsafe_schemes_are_not_links(self):
        for target in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", "&#106;avascript:alert(1)",
                       "vbscript:msgbox(1)", "data:text/html;base64,PHNjcmlwdD4=", "file:///etc/passwd"):
            with self.subTest(target=target):
                html = render_description(f"[click]({target}) <{target}>")
                self.assertNotIn("href", html)
                self.assertIn("click", html)

    def test_link_titles_cannot_break_out_of_the_attribute(self):
        html = render_description('[a](https://x.example "t\\" onmouseover=\\"alert(1)")')
        self.assertEqual(elements(html), [("p", {}), ("a", {
            "href": "https://x.example", "title": 't" onmouseover="alert(1)', "target": "_blank",
            "rel": "nofollow noopener noreferrer ugc",
        })])

    def test_images_are_not_shown(self):
        self.assertEqual(render_description("![diagram](https://tracker.example/pixel.png)"), "<p></p>\n")

    def test_only_allowed_tags_attributes_and_schemes_come_out(self):
        html = render_description(
            "[a](https://a.example) [b](/kanban/other/) [c](mailto:x@y.z) [d](ftp://f.example)\n\n"
            "- [x] done\n\n|a|\n|-|\n|b|"
        )
        for tag, attributes in elements(html):
            self.assertIn(tag, descriptions.ALLOWED_TAGS)
            for name, value in attributes.items():
                self.assertFalse(name.startswith("on"), (tag, name))
                if name == "href":
                    self.assertRegex(value, r"^(https://|/|mailto:)")
        self.assertNotIn("ftp:", html)


class BoundsTests(SimpleTestCase):
    def test_ten_thousand_open_brackets_render_as_text(self):
        for text in ("[" * LIMIT, "![" * (LIMIT // 2)):
            with self.subTest(text=text[:4]):
                html = render_description(text)
                self.assertEqual(re.sub(r"<[^>]+>", "", html).count(text[0]), text.count(text[0]))

    def test_nesting_deeper_than_the_limit_is_shown_as_the_text(self):
        shallow = ">" * (MAX_DEPTH - 1) + " quote"
        self.assertIn("<blockquote>", render_description(shallow))
        deep = ">" * LIMIT
        self.assertEqual(render_description(deep), f"<pre>{'&gt;' * LIMIT}</pre>")

    def test_too_many_elements_are_shown_as_the_text(self):
        text = (">" * 20 + " a\n\n") * (LIMIT // 24)  # 20 quotes and a paragraph: 42 tags for 24 characters
        self.assertGreater(cmark_html(text).count("<"), MAX_TAGS)
        self.assertTrue(render_description(text).startswith(f"<pre>{'&gt;' * 20} a\n"))

    def test_a_table_padded_beyond_the_limit_stays_text(self):
        wide = "|a" * 100 + "|\n" + "|-" * 100 + "|\n" + "x\n" * 100
        self.assertGreater(len(TABLE_CELL.findall(cmark_html(wide))), MAX_TABLE_CELLS)
        html = render_description(wide)
        self.assertNotIn("<table>", html)
        self.assertIn("|a|a|a", html)
        self.assertIn("<table>", render_description("|a|b|\n|-|-|\n" + "x\n" * 100))

    def test_lone_surrogates_are_replaced_not_an_error(self):
        self.assertEqual(render_description("a\ud800b"), "<p>a\ufffdb</p>\n")

    def test_output_grows_in_proportion_to_the_text(self):
        """Eight times the text makes at most eight times the HTML (plus a few lines), for each adversarial run."""
        for piece in ("[", "![", "*_", "`", "[a]: /u\n[a]", "> ", "- ", "|-", "www.", "<a ", "&#", "**a_"):
            with self.subTest(piece=piece):
                small, large = (markdown_html(piece * (size // len(piece))) for size in (LIMIT // 8, LIMIT))
                self.assertLessEqual(len(large), 8 * len(small) + 200)

    @ADVERSARIAL
    @given(adversarial)
    def test_every_adversarial_description_renders_within_the_bounds(self, text):
        html = markdown_html(text)
        self.assertLessEqual(html.count("<"), MAX_TAGS)
        self.assertLessEqual(nesting_depth(html), MAX_DEPTH)
        for tag, attributes in elements(render_description(text)):
            self.assertIn(tag, descriptions.ALLOWED_TAGS)
            # The link's scheme as a browser reads it (it drops whitespace and control characters).
            href = re.sub(r"[\s\x00-\x1f]", "", attributes.get("href", "")).lower()
            self.assertFalse(href.startswith(("javascript:", "vbscript:", "data:")), href)
            self.assertFalse(any(name.startswith("on") for name in attributes), (tag, attributes))

    @settings(max_examples=1000, deadline=None, database=None)
    @given(table_like)
    def test_the_table_bound_is_never_below_the_cells_cmark_makes(self, text):
        self.assertGreaterEqual(table_cells_at_most(text), len(TABLE_CELL.findall(cmark_html(text))))


def cmark_html(text):
    """cmark-gfm's own HTML, with tables and without the bounds."""
    return cmarkgfm.markdown_to_html_with_extensions(
        text, options=descriptions.OPTIONS, extensions=descriptions.EXTENSIONS
    )
