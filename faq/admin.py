"""Django admin for the FAQ: clinic admins edit, order, publish and tag entries; every edit is audited."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from clinic.admin import LabelledListEditableMixin, NoDeleteAdminMixin
from faq.models import Category, Entry


@admin.register(Category)
class CategoryAdmin(LabelledListEditableMixin, NoDeleteAdminMixin, SimpleHistoryAdmin):
    list_display = ["name", "order", "entry_count"]
    list_editable = ["order"]
    search_fields = ["name"]
    fields = ["name", "order"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(entry_count=Count("entries"))

    @admin.display(description="entries", ordering="entry_count")
    def entry_count(self, obj):
        return obj.entry_count


class EntryAdminForm(forms.ModelForm):
    class Meta:
        model = Entry
        fields = ["question", "slug", "category", "order", "published", "tags", "keywords", "answer"]
        widgets = {
            "answer": forms.Textarea(attrs={"rows": 12, "cols": 90}),
            "tags": forms.TextInput(attrs={"size": 60}),
            "keywords": forms.TextInput(attrs={"size": 90}),
        }


@admin.register(Entry)
class EntryAdmin(LabelledListEditableMixin, NoDeleteAdminMixin, SimpleHistoryAdmin):
    form = EntryAdminForm
    list_display = ["question", "category", "order", "published", "tags", "last_edited_by", "last_edited_at"]
    list_display_links = ["question"]
    list_editable = ["order", "published"]
    list_filter = ["category", "published"]
    list_select_related = ["category", "last_edited_by"]
    search_fields = ["question", "answer", "tags", "keywords"]
    ordering = ["category__order", "category__name", "order", "id"]
    prepopulated_fields = {"slug": ["question"]}
    readonly_fields = ["answer_preview", "last_edited_by", "last_edited_at"]
    fieldsets = [
        (None, {"fields": ["question", "slug", "category", "order", "published", "tags", "keywords"]}),
        ("Answer", {"fields": ["answer", "answer_preview"]}),
        ("Last edit", {"fields": ["last_edited_by", "last_edited_at"]}),
    ]
    actions = ["publish", "unpublish"]

    @admin.display(description="preview (as staff see it, after saving)")
    def answer_preview(self, obj):
        if obj is None or not obj.answer:
            return "Save the entry to see its answer as staff will see it."
        return format_html('<div class="faq-answer-preview">{}</div>', obj.answer_html)

    def save_model(self, request, obj, form, change):
        # Also reached by the changelist's editable columns, so those edits are attributed too.
        obj.last_edited_by = request.user
        super().save_model(request, obj, form, change)

    def _set_published(self, request, queryset, published: bool):
        # One save per entry (not queryset.update) so that each change lands in the history.
        changed = 0
        for entry in queryset:
            if entry.published != published:
                entry.published = published
                entry.last_edited_by = request.user
                entry.save()
                changed += 1
        state = "published" if published else "unpublished"
        self.message_user(request, f"{changed} entries {state}.", messages.SUCCESS)

    @admin.action(description="Publish selected entries", permissions=["change"])
    def publish(self, request, queryset):
        self._set_published(request, queryset, True)

    @admin.action(description="Unpublish selected entries", permissions=["change"])
    def unpublish(self, request, queryset):
        self._set_published(request, queryset, False)
