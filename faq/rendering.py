"""FAQ answers from Markdown to HTML that is safe to show: rendered, then cleaned with an allow-list."""

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = frozenset({"p", "ul", "ol", "li", "em", "strong", "a", "br", "h3", "h4", "blockquote", "code"})
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Elements dropped together with everything inside them: their content is code or markup, never prose.
DROPPED_WITH_CONTENT = frozenset(
    {
        "script",
        "style",
        "iframe",
        "object",
        "embed",
        "svg",
        "math",
        "template",
        "noscript",
        "textarea",
        "title",
    }
)
LINK_REL = "noopener noreferrer"

# One cleaner for the process: its options never change, and building it parses the allow-lists.
_cleaner = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(DROPPED_WITH_CONTENT),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(URL_SCHEMES),
    link_rel=LINK_REL,
    strip_comments=True,
)


def render_answer(markdown_text: str) -> SafeString:
    """The answer as sanitized HTML: lists, emphasis, links; a single line break stays a line break
    (the clinic writes paragraphs as lines), and nothing executable or styled survives."""
    # A fresh Markdown instance per call: instances keep state between conversions.
    html = markdown.markdown(markdown_text or "", extensions=["nl2br", "sane_lists"], output_format="html")
    return mark_safe(_cleaner.clean(html))  # noqa: S308 (the output of an allow-list sanitizer)
