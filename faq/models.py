"""FAQ categories and entries: the clinic's answers to patients' questions, edited by clinic admins."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from clinic.models import BulkWriteForbidden
from faq.rendering import render_answer
from faq.text import (
    KEYWORDS_MAX_LENGTH,
    QUESTION_MAX_LENGTH,
    SLUG_MAX_LENGTH,
    TAGS_MAX_LENGTH,
    normalise_keywords,
    normalise_question,
    normalise_tags,
    split_tags,
    unique_slug,
)

EDIT_PERMISSION = "faq.change_entry"


class Category(models.Model):
    name = models.CharField(
        max_length=100, unique=True, error_messages={"unique": "Another category already has this name."}
    )
    order = models.PositiveSmallIntegerField(default=0, help_text="Categories are listed by this number.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "name"]
        verbose_name = "category"
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name


class EntryQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)

    def visible_to(self, user):
        """Editors see every entry; everyone else only published ones."""
        return self if user.has_perm(EDIT_PERMISSION) else self.published()

    def search(self, term: str):
        """Entries whose question, answer, search keywords or link tags contain every word of the term
        (case-insensitive), ranked: ``rank`` 0 when the question holds every word, 1 when the
        question and the keywords together do (a synonym such as "ibuprofen"), 2 when only the answer
        does. Order by ``rank`` for the best matches first."""
        words = (term or "").split()
        entries = self
        in_question = models.Q()
        in_question_or_keywords = models.Q()
        for word in words:
            entries = entries.filter(
                models.Q(question__icontains=word)
                | models.Q(answer__icontains=word)
                | models.Q(keywords__icontains=word)
                | models.Q(tags__icontains=word)
            )
            in_question &= models.Q(question__icontains=word)
            in_question_or_keywords &= models.Q(question__icontains=word) | models.Q(keywords__icontains=word)
        return entries.annotate(
            rank=models.Case(
                models.When(in_question, then=models.Value(0)),
                models.When(in_question_or_keywords, then=models.Value(1)),
                default=models.Value(2),
                output_field=models.IntegerField(),
            )
        )

    def tagged(self, tag: str):
        """Entries carrying this link tag (tags are stored "a,b,c": match a whole tag, not a part of one)."""
        tag = normalise_tags(tag)
        return self.filter(
            models.Q(tags=tag)
            | models.Q(tags__startswith=f"{tag},")
            | models.Q(tags__endswith=f",{tag}")
            | models.Q(tags__contains=f",{tag},")
        )

    def in_reading_order(self):
        return self.order_by("category__order", "category__name", "order", "id")

    # simple-history does not see queryset-level writes; entries are unpublished, never deleted.
    def update(self, **kwargs):
        raise BulkWriteForbidden("Bulk update of FAQ entries is forbidden: save each entry so it is audited.")

    def delete(self):
        raise BulkWriteForbidden("FAQ entries are never deleted: unpublish them instead.")


class Entry(models.Model):
    question = models.CharField(
        max_length=QUESTION_MAX_LENGTH,
        unique=True,
        error_messages={"unique": "Another entry already asks this question."},
    )
    slug = models.SlugField(
        "link name",
        max_length=SLUG_MAX_LENGTH,
        unique=True,
        help_text="The last part of the entry's web address. Changing it breaks saved links.",
    )
    answer = models.TextField(
        help_text="Markdown: a blank line starts a paragraph, '- ' starts a list item, *emphasis*, "
        "**bold**, [text](https://address). HTML, scripts and styles are removed when shown."
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="entries")
    order = models.PositiveSmallIntegerField(default=0, help_text="Entries are listed by this number.")
    published = models.BooleanField(
        default=True,
        help_text="Unpublished entries are seen only by FAQ editors, never by staff or patients.",
    )
    tags = models.CharField(
        "link tags",
        max_length=TAGS_MAX_LENGTH,
        blank=True,
        help_text="Comma-separated. Pages that show FAQ links pick the published entries carrying their tag: "
        "'aftercare' (aftercare sheet), 'check-in' (day 1-3 check-in), 'three-month' (3-month assessment).",
    )
    keywords = models.CharField(
        "search keywords",
        max_length=KEYWORDS_MAX_LENGTH,
        blank=True,
        help_text="Comma-separated words patients and staff search with that the entry may not use, "
        "e.g. 'ibuprofen, NSAID, aspirin' for an entry that says 'anti-inflammatory medication'. "
        "Found by the FAQ search; never shown to patients.",
    )
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name="last edited by",
    )
    last_edited_at = models.DateTimeField("last edited", auto_now=True)

    history = HistoricalRecords()
    objects = EntryQuerySet.as_manager()

    class Meta:
        ordering = ["order", "id"]
        verbose_name = "FAQ entry"
        verbose_name_plural = "FAQ entries"
        constraints = [
            models.CheckConstraint(condition=~models.Q(question=""), name="faq_entry_question_not_empty"),
            models.CheckConstraint(condition=~models.Q(answer=""), name="faq_entry_answer_not_empty"),
        ]
        indexes = [
            # The FAQ page lists published entries category by category, in their order.
            models.Index(fields=["published", "category", "order"], name="faq_entry_listing_idx"),
        ]

    def __str__(self):
        return self.question

    def save(self, *args, **kwargs):
        self.question = normalise_question(self.question)
        self.tags = normalise_tags(self.tags)
        self.keywords = normalise_keywords(self.keywords)
        if not self.slug:
            others = Entry.objects.exclude(pk=self.pk)
            self.slug = unique_slug(self.question, lambda slug: others.filter(slug=slug).exists())
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("faq:entry", args=[self.slug])

    def delete(self, *args, **kwargs):
        raise BulkWriteForbidden("FAQ entries are never deleted: unpublish them instead.")

    def clean(self):
        self.question = normalise_question(self.question)
        self.tags = normalise_tags(self.tags)
        self.keywords = normalise_keywords(self.keywords)

    @property
    def tag_list(self) -> list[str]:
        return split_tags(self.tags)

    @property
    def answer_html(self):
        return render_answer(self.answer)
