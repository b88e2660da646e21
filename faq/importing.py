"""Loading parsed FAQ entries into the database, for the import_faq command and a new clinic's seed.

A new question gets its category, order, first link tags and search keywords here; from then on
those belong to the clinic admins, and a later import only updates the answer text.
"""

from dataclasses import dataclass, field

from faq.links import AFTERCARE, CHECK_IN, THREE_MONTH
from faq.models import Category, Entry
from faq.parsing import ParsedEntry
from faq.text import normalise_keywords, normalise_tags, unique_slug

ABOUT = "About the therapy"
PROCEDURE = "Procedure and aftercare"
SAFETY = "Safety"
FOLLOW_UP = "Follow-up and repeat rounds"
CONDITIONS = "Conditions"
GENERAL = "General"
CATEGORY_ORDER = {ABOUT: 1, PROCEDURE: 2, SAFETY: 3, FOLLOW_UP: 4, CONDITIONS: 5, GENERAL: 99}

# Words in a new question (lower-cased) that place it; the first matching rule wins, anything else goes
# to GENERAL. Conditions come first because their questions also say "benefit".
CATEGORY_RULES = [
    (CONDITIONS, ("chronic inflammation", "autoimmune", "chronic infection", "neurodegenerative")),
    (SAFETY, ("screened", "safer", "cancer", "teratoma")),
    (FOLLOW_UP, ("timeline", "see the benefits", "multiple rounds", "follow-up appointment", "second round")),
    (PROCEDURE, ("therapy performed", "after the procedure")),
    (ABOUT, ("what are exosomes", "how do they work", "type of exosomes", "what lab", "stored")),
]
# A new question's first link tags: every matching rule adds its tags.
TAG_RULES = [
    (("side effects", "resume physical activity"), (AFTERCARE, CHECK_IN)),
    (
        ("timeline", "see the benefits", "multiple rounds", "follow-up appointment", "second round"),
        (THREE_MONTH,),
    ),
]

# A new question's first search keywords: words people search with that its text does not use.
# Every matching rule adds its keywords; clinic admins edit them afterwards.
KEYWORD_RULES = [
    (
        ("resume physical activity",),
        (
            "ibuprofen",
            "naproxen",
            "aspirin",
            "diclofenac",
            "nsaid",
            "painkiller",
            "pain relief",
            "exercise",
            "sport",
            "gym",
        ),
    ),
    (("side effects",), ("adverse reaction", "reaction", "sick", "temperature", "vomit")),
    (("follow-up appointment",), ("3-month", "three month", "assessment", "check-up", "checkup")),
    (("multiple rounds", "second round"), ("booster", "repeat", "another treatment")),
    (("cancer", "teratoma"), ("tumour", "tumor")),
    (("screened",), ("virus", "infection", "hiv", "hepatitis", "testing")),
    (("stored",), ("storage", "freezer", "frozen")),
    (("neurodegenerative",), ("alzheimer", "parkinson", "dementia")),
]


def category_for(question: str) -> str:
    lowered = question.lower()
    for name, keywords in CATEGORY_RULES:
        if any(keyword in lowered for keyword in keywords):
            return name
    return GENERAL


def tags_for(question: str) -> str:
    lowered = question.lower()
    tags = [
        tag for keywords, rule_tags in TAG_RULES if any(k in lowered for k in keywords) for tag in rule_tags
    ]
    return normalise_tags(",".join(tags))


def keywords_for(question: str) -> str:
    lowered = question.lower()
    keywords = [word for rule, words in KEYWORD_RULES if any(k in lowered for k in rule) for word in words]
    return normalise_keywords(",".join(keywords))


@dataclass
class ImportResult:
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    categories_created: list = field(default_factory=list)

    def summary(self) -> str:
        return f"{len(self.created)} created, {len(self.updated)} updated, {len(self.unchanged)} unchanged"


def load_entries(parsed: list[ParsedEntry], *, update_answers: bool, reason: str) -> ImportResult:
    """Create an entry for each new question; update the answer of a known one if ``update_answers``.

    Questions are matched by their exact (whitespace-normalised) text. Run inside a transaction.
    """
    result = ImportResult()
    known = {
        entry.question: entry for entry in Entry.objects.filter(question__in=[p.question for p in parsed])
    }
    categories = {category.name: category for category in Category.objects.all()}
    for position, item in enumerate(parsed, start=1):
        entry = known.get(item.question)
        if entry is None:
            name = category_for(item.question)
            if name not in categories:
                category = Category(name=name, order=CATEGORY_ORDER[name])
                category._change_reason = reason
                category.save()
                categories[name] = category
                result.categories_created.append(categories[name])
            entry = Entry(
                question=item.question,
                slug=unique_slug(item.question, lambda slug: Entry.objects.filter(slug=slug).exists()),
                answer=item.answer,
                category=categories[name],
                order=position,
                published=True,
                tags=tags_for(item.question),
                keywords=keywords_for(item.question),
            )
            entry._change_reason = reason
            entry.save()
            result.created.append(entry)
        elif update_answers and entry.answer != item.answer:
            entry.answer = item.answer
            entry.last_edited_by = None
            entry._change_reason = reason
            entry.save()
            result.updated.append(entry)
        else:
            result.unchanged.append(entry)
    return result
