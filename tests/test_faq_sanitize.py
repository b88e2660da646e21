"""FAQ answers: Markdown is rendered, and nothing executable or styled survives the allow-list."""

import re
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from faq.rendering import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, render_answer

pytestmark = pytest.mark.security("faq_sanitizer")

XSS_CORPUS = [
    # script elements
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>script>alert(1)<</script>/script>",
    '<script type="text/javascript">document.cookie</script>',
    "Text before <script>alert(1)</script> and after",
    # event handlers
    "<img src=x onerror=alert(1)>",
    '<body onload="alert(1)">',
    '<a href="https://clinic.example" onclick="alert(1)">link</a>',
    '<p onmouseover="alert(1)">hover</p>',
    "<em onfocus=alert(1) autofocus tabindex=0>focus</em>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    '<strong/onclick="alert(1)">x</strong>',
    # javascript:, data: and vbscript: URLs, encoded and mixed case
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="&#x6A;avascript&colon;alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="VBScript:msgbox(1)">x</a>',
    # Markdown link and image syntax
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](data:text/html,<script>alert(1)</script>)",
    "[click](vbscript:msgbox(1))",
    '[click](javascript:alert(1) "title")',
    "![x](javascript:alert(1))",
    "![x](https://evil.example/x.png)",
    "[click][ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    # styles
    '<p style="background:url(javascript:alert(1))">x</p>',
    "<style>body { display: none }</style>",
    '<em style="position:fixed;top:0">x</em>',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    # frames and plugins
    '<iframe src="https://evil.example"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="https://evil.example/x.swf"></object>',
    '<embed src="https://evil.example/x.swf">',
    '<form action="https://evil.example"><button>Send</button></form>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<base href="https://evil.example/">',
    # svg and math tricks
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<math href="javascript:alert(1)">x</math>',
    # comments and CDATA
    "<!--<script>alert(1)</script>-->",
    "<!--><script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<!--[if gte IE 4]><script>alert(1)</script><![endif]-->",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<template><script>alert(1)</script></template>",
]

FORBIDDEN_ELEMENTS = ("<script", "<iframe", "<object", "<embed", "<svg", "<math", "<style", "<img", "<form")


class _Markup(HTMLParser):
    """Every start tag with its attributes, as a browser would read them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def markup_of(html: str):
    parser = _Markup()
    parser.feed(html)
    parser.close()
    return parser.tags


def test_the_corpus_is_large_enough():
    assert len(XSS_CORPUS) >= 40
    assert len(set(XSS_CORPUS)) == len(XSS_CORPUS)


@pytest.mark.parametrize("payload", XSS_CORPUS)
def test_nothing_executable_survives(payload, security_figures):
    html = str(render_answer(payload))
    lowered = html.lower()
    for element in FORBIDDEN_ELEMENTS:
        assert element not in lowered
    assert "javascript:" not in lowered
    assert "vbscript:" not in lowered
    assert "style" not in lowered
    assert not re.search(r"<[^>]*\son\w+\s*=", lowered)
    for tag, attrs in markup_of(html):
        assert tag in ALLOWED_TAGS
        allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | ({"rel"} if tag == "a" else set())
        assert set(attrs) <= allowed
        if "href" in attrs:
            href = re.sub(r"[\x00-\x20]", "", unescape(attrs["href"])).lower()
            assert urlsplit(href).scheme in {"", "http", "https", "mailto"}
        if tag == "a":
            assert attrs["rel"] == "noopener noreferrer"
    security_figures["faq_xss_payloads"] += 1


def test_markdown_lists_emphasis_and_links_are_kept():
    html = str(
        render_answer(
            "### Aftercare\n\nWe *recommend* **rest**:\n\n- no ibuprofen\n- light walks\n\n"
            '1. first\n2. second\n\n> a quote\n\nSee [our page](https://clinic.example/a "More") '
            "or [write](mailto:desk@clinic.example), `code`."
        )
    )
    assert "<h3>Aftercare</h3>" in html
    assert "<em>recommend</em>" in html and "<strong>rest</strong>" in html
    assert html.count("<li>") == 4 and "<ul>" in html and "<ol>" in html
    assert "<blockquote>" in html and "<code>code</code>" in html
    assert '<a href="https://clinic.example/a" title="More" rel="noopener noreferrer">our page</a>' in html
    assert '<a href="mailto:desk@clinic.example" rel="noopener noreferrer">write</a>' in html


def test_single_line_breaks_stay_line_breaks():
    assert str(render_answer("first line\nsecond line")) == "<p>first line<br>\nsecond line</p>"


def test_headings_outside_the_allow_list_keep_only_their_text():
    html = str(render_answer("# Big title\n\ntext"))
    assert "<h1" not in html
    assert "Big title" in html


def test_plain_text_is_escaped_not_interpreted():
    html = str(render_answer("Dose 1 < 2 & 3 > 2"))
    assert html == "<p>Dose 1 &lt; 2 &amp; 3 &gt; 2</p>"


def test_an_empty_answer_renders_nothing():
    assert str(render_answer("")) == ""
