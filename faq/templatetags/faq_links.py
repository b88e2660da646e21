"""``{% faq_links "aftercare" %}``: a card listing the published FAQ entries that carry a link tag.

Pages staff use while talking to a patient name a tag from faq/links.py; clinic admins decide in the
Django admin which entries carry it. One query; nothing is shown when no entry carries the tag or when
the user may not read the FAQ.
"""

from django import template

from faq.models import Entry

register = template.Library()


@register.inclusion_tag("faq/includes/links_card.html", takes_context=True)
def faq_links(context, tag: str, title: str = "Patient questions on this"):
    user = context.get("user")
    if user is None and context.get("request") is not None:
        user = context["request"].user
    if user is None or not user.has_perm("faq.view_entry"):
        return {"entries": []}
    entries = list(Entry.objects.published().tagged(tag).in_reading_order())
    return {"entries": entries, "title": title, "tag": tag}
