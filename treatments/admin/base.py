"""The two kinds of admin a clinical record may have: read-only, or saving through its service.

Either way the admin offers no delete and no revert from the history: simple-history's revert
form saves an old version with ``save()``, around the service and its rules, and it accepts a POST
from anyone who may view the record.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from simple_history.admin import SimpleHistoryAdmin

from clinic.admin import NoDeleteAdminMixin
from clinic.form_parts import VersionedFormMixin
from clinic.models import StaleRecord

ATTRIBUTION_FIELDS = [
    "created_at",
    "created_by",
    "updated_at",
    "version",
    "voided_at",
    "voided_by",
    "void_reason",
]


class ClinicalAdmin(NoDeleteAdminMixin, SimpleHistoryAdmin):
    """Searchable, with its history to read; never deleted, never reverted."""

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied("An old version is read here, not restored: edit the record instead.")
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReadOnlyClinicalAdmin(ClinicalAdmin):
    """For finding and auditing (list, search, detail, history): the record is written on the
    clinical pages only. ``pages_note`` says where; the list shows it as its subtitle."""

    pages_note = ""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {"subtitle": self.pages_note, **(extra_context or {})}
        return super().changelist_view(request, extra_context)


class VersionedAdminForm(VersionedFormMixin, forms.ModelForm):
    """Carries the record's version and refuses a stale one as a form error.

    The admin cannot turn a service's StaleRecord into a form error, so the form checks first; the
    service checks again under lock.
    """

    # Declared on the class so that the admin lists it among the form's fields and renders it.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_version_field()

    def clean(self):
        cleaned = super().clean()
        version = cleaned.get("version")
        if self.instance.pk and version is not None:
            rows = type(self.instance)._base_manager.filter(pk=self.instance.pk)
            if rows.values_list("version", flat=True).first() != version:
                raise forms.ValidationError(str(StaleRecord(self.instance)))
        return cleaned


class ServiceAdmin(ClinicalAdmin):
    """Every save is one call to the record's service, as on the clinical pages, with a reason.

    Subclasses implement ``save_through_service(request, form, formsets, change)``. The form shows
    the rules it can check as field errors (model validation, the stale version); a refusal that
    only the service sees under lock (someone saved in between) rolls everything back and comes
    back as a message.
    """

    form = VersionedAdminForm
    exclude = ["version"]  # not from the model (it is not editable): the form declares its own
    # The version travels in the form (hidden) for the stale-form check, so it is not read-only here.
    readonly_fields = [name for name in ATTRIBUTION_FIELDS if name != "version"]

    def save_through_service(self, request, form, formsets, change):
        raise NotImplementedError

    @staticmethod
    def reason(change: bool) -> str:
        return "Edited in the admin" if change else "Added in the admin"

    def save_model(self, request, obj, form, change):
        """Nothing yet: ``save_related`` saves the record with its inlines in one service call."""

    def save_related(self, request, form, formsets, change):
        self.save_through_service(request, form, formsets, change)

    def has_change_permission(self, request, obj=None):
        # A voided record is kept as it was voided (its service refuses an edit too).
        if obj is not None and obj.is_voided:
            return False
        return super().has_change_permission(request, obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (StaleRecord, ValidationError) as refusal:
            text = " ".join(refusal.messages) if isinstance(refusal, ValidationError) else str(refusal)
            self.message_user(request, f"Nothing was saved. {text}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
