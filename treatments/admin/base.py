"""The two kinds of admin a clinical record may have: read-only, or saving through its service.

Either way the admin offers no delete and no revert from the history: simple-history's revert
form saves an old version with ``save()``, around the service and its rules, and it accepts a POST
from anyone who may view the record.
"""

from functools import partial

from django import forms
from django.contrib import messages
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from simple_history.admin import SimpleHistoryAdmin

from clinic.admin import NoDeleteAdminMixin
from clinic.form_parts import DATE_ALLOWED
from clinic.models import StaleRecord
from treatments.models import AccessEvent
from treatments.services.access import access_record, access_record_many

ATTRIBUTION_FIELDS = [
    "created_at",
    "created_by",
    "updated_at",
    "version",
    "voided_at",
    "voided_by",
    "void_reason",
]


# Tables that grow with the clinic's patients: a form never offers their rows as a select (one
# <option> per patient is megabytes of HTML at 100,000 patients); it shows a raw id with a lookup.
LARGE_TABLES = {
    ("treatments", "patient"),
    ("treatments", "treatment"),
    ("treatments", "administration"),
    ("treatments", "followup"),
    ("treatments", "sideeffectreport"),
}


def is_historical(obj) -> bool:
    """Whether ``obj`` is an old version rebuilt by django-simple-history (its only marker)."""
    return obj is not None and "_history" in vars(obj)


class ClinicalAdmin(NoDeleteAdminMixin, SimpleHistoryAdmin):
    """Searchable, with its history to read; never deleted, never reverted.

    Sized for the big tables: the list runs no count of the whole table (only of the rows it
    filters), no date hierarchy (it groups the whole table by year and month: use a
    DateFieldListFilter), and sorts by the model's ordering, which ends with the pk and has an
    index. Related rows of the big tables are raw ids, and an old version is shown read-only.
    """

    show_full_result_count = False
    # Where a row names its patient ("pk" on the patient itself, "patient_id" on a clinical record):
    # a page that shows a row writes an access event for that patient, as the clinical pages do (the
    # change page and an old version: "view"; each row of a list page: "list"). None: no patient data.
    patient_attname: str | None = None

    # Foreign keys the change page shows (read-only, each a link with the row's name), read with
    # the record in one query instead of one query each.
    object_select_related: tuple[str, ...] = ()

    def get_object(self, request, object_id, from_field=None):
        if not self.object_select_related:
            return super().get_object(request, object_id, from_field)
        queryset = self.get_queryset(request).select_related(*self.object_select_related)
        field = self.model._meta.pk if from_field is None else self.model._meta.get_field(from_field)
        try:
            return queryset.get(**{field.name: field.to_python(object_id)})
        except (self.model.DoesNotExist, ValidationError, ValueError):
            return None

    def record_view(self, request, obj) -> None:
        if self.patient_attname and obj is not None:
            access_record(user=request.user, patient_id=getattr(obj, self.patient_attname))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        # Only a page that was shown (a save redirects; a refusal or an error page shows no record).
        if response.status_code == 200 and getattr(response, "context_data", None):
            self.record_view(request, response.context_data.get("original"))
        return response

    def render_history_view(self, request, template, context, **kwargs):
        # The history list ("object") and an old version ("original") both show the record's data.
        self.record_view(request, context.get("original", context.get("object")))
        return super().render_history_view(request, template, context, **kwargs)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl") if response.status_code == 200 else None
        if self.patient_attname and changelist is not None:
            # Reads the page's rows once; the template then reuses them (no second query), and the
            # events are one INSERT whatever the page size.
            patient_ids = {getattr(row, self.patient_attname) for row in changelist.result_list}
            access_record_many(
                user=request.user, patient_ids=sorted(patient_ids), action=AccessEvent.Action.LIST
            )
        return response

    def revert_disabled(self, request, obj=None):
        return True

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if isinstance(field, forms.DateField):
            # As on the clinical pages: a refused date says what is allowed ("Enter a valid date.").
            field.error_messages["invalid"] = DATE_ALLOWED
        return field

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model._meta
        if "widget" not in kwargs and (related.app_label, related.model_name) in LARGE_TABLES:
            kwargs["widget"] = ForeignKeyRawIdWidget(
                db_field.remote_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not is_historical(obj):
            return readonly
        # An old version is read, never saved (no revert): every field is shown as text, as the
        # change page does without the change permission (simple-history's page would render
        # editable widgets, a select of every related row among them).
        opts = self.model._meta
        shown = [
            f.name for f in [*opts.concrete_fields, *opts.many_to_many] if f.editable and not f.primary_key
        ]
        excluded = set(self.exclude or [])
        return [*(name for name in shown if name not in excluded and name not in readonly), *readonly]

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


class ServiceAdmin(ClinicalAdmin):
    """Every save is one call to the record's service, as on the clinical pages, with a reason.

    Subclasses implement ``save_through_service(request, form, formsets, change)``. The form shows
    the model's rules as field errors, and the page comes back with a message when it was loaded
    before someone else's save. A refusal that only the service sees under lock (someone saved in
    between) rolls everything back and comes back as a message too.
    """

    exclude = ["version"]  # not from the model (it is not editable): get_form adds its own
    # The version travels in the form (hidden) for the stale-form check, so it is not read-only here.
    readonly_fields = [name for name in ATTRIBUTION_FIELDS if name != "version"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        # The admin makes a new form class on each call, so the field can carry this record's version.
        stale_check = [partial(self.refuse_stale, request, obj)] if obj is not None else []
        form.base_fields["version"] = forms.IntegerField(
            widget=forms.HiddenInput,
            required=False,
            initial=obj.version if obj is not None else None,
            validators=stale_check,
        )
        return form

    def refuse_stale(self, request, obj, version: int) -> None:
        """Refuse a page loaded before someone else's save (the service checks again under lock).

        A hidden field cannot show its error, so the message says why the page came back.
        """
        if type(obj)._base_manager.filter(pk=obj.pk).values_list("version", flat=True).first() != version:
            conflict = str(StaleRecord(obj))
            self.message_user(request, conflict, messages.ERROR)
            raise ValidationError(conflict)

    def save_through_service(self, request, form, formsets, change):
        """The one call to the record's service; every ServiceAdmin names its own (abstract here)."""
        raise NotImplementedError(f"{type(self).__name__} must save through its record's service.")

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
        except StaleRecord as conflict:
            self.message_user(request, str(conflict), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        except ValidationError as refusal:
            self.message_user(request, f"Nothing was saved: {' '.join(refusal.messages)}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
