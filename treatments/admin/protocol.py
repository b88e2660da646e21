"""Django admin for protocol versions and their follow-up steps, saved together through
``protocol_save`` with the reason the admin gives; steps are never deleted.

A version that governs a treatment is shown read-only, with why, and offers "Copy as new version"
(``protocol_copy``): the new version takes effect after today and is then edited like any other.
"""

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from clinic.form_parts import DateField, DateInput
from clinic.formats import day as format_day
from treatments.admin.base import ServiceAdmin
from treatments.models import FollowUpStep, Protocol
from treatments.services.protocol import frozen_reason, protocol_copy, protocol_save

REASON_HELP = "Why the protocol changes: kept in the history of the version and of its steps."


class FollowUpStepInline(admin.TabularInline):
    model = FollowUpStep
    extra = 0
    fields = [
        "order",
        "name",
        "kind",
        "offset_days",
        "window_before_days",
        "window_after_days",
        "optional",
        "is_assessment",
    ]

    def has_delete_permission(self, request, obj=None):
        # Follow-ups already scheduled point at their step: steps are kept, never deleted.
        return False

    # A frozen version's steps are frozen with it.
    def has_add_permission(self, request, obj=None):
        return not _frozen(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not _frozen(request, obj) and super().has_change_permission(request, obj)


def _frozen(request, obj) -> bool:
    """Whether ``obj`` governs a treatment, asked once per request and version."""
    if obj is None or obj.pk is None:
        return False
    cache = request.__dict__.setdefault("_protocol_frozen", {})
    if obj.pk not in cache:
        # The admin asks first about the object as it loaded it from the database, before any form
        # touches it (the change view's permission check), and the answer is kept for the request.
        cache[obj.pk] = obj.governs_treatments()
    return cache[obj.pk]


class CopyForm(forms.Form):
    effective_from = DateField(label="In force from", widget=DateInput)
    reason = forms.CharField(label="Reason for the new version", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["effective_from"].help_text = (
            f"After today ({format_day(today)}): treatments already recorded keep the version they were "
            "judged by."
        )


@admin.register(Protocol)
class ProtocolAdmin(ServiceAdmin):
    change_form_template = "admin/treatments/protocol/change_form.html"
    # Not model fields: the version travels hidden, the reason goes to the history (see get_form).
    exclude = ["version", "change_reason"]
    list_display = [
        "name",
        "effective_from",
        "max_dose_billion",
        "default_concentration",
        "expected_side_effect_days",
        "anti_inflammatory_pause_days_after",
    ]
    search_fields = ["name", "notes"]
    list_filter = [("effective_from", admin.DateFieldListFilter)]
    inlines = [FollowUpStepInline]

    def has_change_permission(self, request, obj=None):
        if _frozen(request, obj):
            return False  # read-only page; the service refuses a change too
        return super().has_change_permission(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if not _frozen(request, obj):
            form.base_fields["change_reason"] = forms.CharField(
                label="Reason for this change",
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=REASON_HELP,
            )
        return form

    def save_through_service(self, request, form, formsets, change):
        # New and changed steps only (the inline offers no delete).
        steps = [step for formset in formsets for step in formset.save(commit=False)]
        protocol_save(
            protocol=form.instance,
            user=request.user,
            steps=steps,
            expected_version=form.cleaned_data.get("version"),
            reason=form.cleaned_data["change_reason"],
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = extra_context or {}
        if object_id is not None:
            obj = self.get_object(request, object_id)
            if obj is not None and _frozen(request, obj):
                extra_context |= {
                    "frozen_reason": frozen_reason(obj),
                    "copy_url": reverse("admin:treatments_protocol_copy", args=[obj.pk])
                    if self.has_add_permission(request)
                    else None,
                }
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        copy = path(
            "<path:object_id>/copy/",
            self.admin_site.admin_view(self.copy_view),
            name="treatments_protocol_copy",
        )
        return [copy, *super().get_urls()]

    def copy_view(self, request, object_id):
        """Copy a version (frozen or not) as a new one with its own date and a reason."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        source = get_object_or_404(Protocol.objects.active(), pk=object_id)
        today = timezone.localdate()
        latest = (
            Protocol.objects.active().order_by("-effective_from").values_list("effective_from", flat=True)
        )
        suggested = max(today, latest.first() or today) + dt.timedelta(days=1)
        form = CopyForm(request.POST or None, today=today, initial={"effective_from": suggested})
        if request.method == "POST" and form.is_valid():
            try:
                copy = protocol_copy(
                    source=source,
                    user=request.user,
                    effective_from=form.cleaned_data["effective_from"],
                    reason=form.cleaned_data["reason"],
                    today=today,
                )
            except ValidationError as refusal:
                if hasattr(refusal, "error_dict"):
                    for field, errors in refusal.error_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, refusal)
            else:
                self.message_user(
                    request,
                    f"New version “{copy}” added. Make its changes now: the version it was copied from "
                    "stays as it was.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:treatments_protocol_change", args=[copy.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Copy as new version",
            "subtitle": str(source),
            "source": source,
            "form": form,
        }
        return TemplateResponse(request, "admin/treatments/protocol/copy.html", context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "subtitle": "A treatment is judged by the version in force on its date. A version that "
            "governs a treatment is frozen: to change the rules, open it and copy it as a new version "
            "that takes effect after today.",
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)
