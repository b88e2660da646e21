"""Normalising questions, link tags and slugs: shared by the model, the importer and the data migration."""

import re

from django.utils.text import slugify

QUESTION_MAX_LENGTH = 300
SLUG_MAX_LENGTH = 140
TAGS_MAX_LENGTH = 200
KEYWORDS_MAX_LENGTH = 300

_WHITESPACE = re.compile(r"\s+")


def normalise_question(question: str) -> str:
    """One line, single spaces: the form in which questions are stored and matched by the importer."""
    return _WHITESPACE.sub(" ", question or "").strip()


def split_tags(value: str) -> list[str]:
    """The link tags in a comma-separated list, as lowercase slugs, each once, in the order given."""
    tags = []
    for part in (value or "").split(","):
        tag = slugify(part.strip())
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def normalise_tags(value: str) -> str:
    """Stored without spaces ("aftercare,check-in") so that one tag is found by exact comparisons."""
    return ",".join(split_tags(value))


def split_keywords(value: str) -> list[str]:
    """Search keywords as typed ("Ibuprofen, NSAID ,aspirin"): lower-case, single spaces, each once."""
    keywords = []
    for part in (value or "").split(","):
        keyword = _WHITESPACE.sub(" ", part).strip().lower()
        if keyword and keyword not in keywords:
            keywords.append(keyword)
    return keywords


def normalise_keywords(value: str) -> str:
    """Stored as "ibuprofen, nsaid, aspirin": the form admins read back, and one string to search."""
    return ", ".join(split_keywords(value))


def unique_slug(question: str, taken) -> str:
    """A slug for the question's page that ``taken(slug)`` says is free ("-2", "-3" appended if not)."""
    base = slugify(question)[: SLUG_MAX_LENGTH - 4].strip("-") or "entry"
    slug, number = base, 1
    while taken(slug):
        number += 1
        slug = f"{base}-{number}"
    return slug
