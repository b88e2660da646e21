"""Django admin for clinical records: searchable, with history, and no delete path."""

from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from clinic.admin import NoDeleteAdminMixin
from clinic.audit import attribute
from clinic.form_parts import VersionedFormMixin
from clinic.models import StaleRecord
from treatments.dosing import format_amount
from treatments.forms.lots import LotRulesFormMixin
from treatments.models import (
    Administration,
    FollowUpStep,
    Indication,
    Lot,
    Patient,
    Product,
    Protocol,
    Treatment,
)
from treatments.services.lots import lot_save


class AttributedAdminMixin:
    """Records who created a record made in the admin, and gives every admin save a reason in the
    history (simple-history records who and when; without a reason the audit row had none)."""

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        attribute(obj, user=request.user, reason="Edited in the admin" if change else "Added in the admin")
        super().save_model(request, obj, form, change)


@admin.register(Patient)
class PatientAdmin(NoDeleteAdminMixin, AttributedAdminMixin, SimpleHistoryAdmin):
    list_display = ["mrn", "family_name", "given_name", "date_of_birth", "consent_on_file", "voided_at"]
    list_filter = ["sex", "indications", ("voided_at", admin.EmptyFieldListFilter)]
    search_fields = ["mrn", "family_name", "given_name"]
    readonly_fields = [
        "created_at",
        "created_by",
        "updated_at",
        "version",
        "voided_at",
        "voided_by",
        "void_reason",
    ]
    filter_horizontal = ["indications"]


@admin.register(Indication)
class IndicationAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "order"]
    list_editable = ["order"]

    def has_delete_permission(self, request, obj=None):
        return False


CLINICAL_READONLY = [
    "created_at",
    "created_by",
    "updated_at",
    "version",
    "voided_at",
    "voided_by",
    "void_reason",
]


@admin.register(Product)
class ProductAdmin(NoDeleteAdminMixin, AttributedAdminMixin, SimpleHistoryAdmin):
    list_display = ["name", "manufacturer", "source", "kind", "storage_requirement", "voided_at"]
    list_filter = ["source", "kind", "storage_requirement"]
    search_fields = ["name", "manufacturer"]
    readonly_fields = CLINICAL_READONLY


class LotAdminForm(LotRulesFormMixin, VersionedFormMixin, forms.ModelForm):
    # Declared on the class so that the admin lists it among the form's fields and renders it.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Lot
        fields = [
            "product",
            "lot_number",
            "manufacturer",
            "received_on",
            "expires_on",
            "concentration",
            "quantity_received_ml",
            "storage_location",
            "storage_temperature_c",
            "status",
            "recall_reason",
            "certificate_of_analysis",
            "notes",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_version_field()

    def clean(self):
        # The admin cannot turn the service's StaleRecord into a message: check here first (lot_save
        # checks again under lock).
        cleaned = super().clean()
        version = cleaned.get("version")
        if self.instance.pk and version is not None:
            stored = Lot._base_manager.filter(pk=self.instance.pk).values_list("version", flat=True).first()
            if stored != version:
                raise forms.ValidationError(str(StaleRecord(self.instance)))
        return cleaned


@admin.register(Lot)
class LotAdmin(NoDeleteAdminMixin, SimpleHistoryAdmin):
    """Saves go through ``lot_save``, as on the lot pages: the same ledger and recall rules."""

    form = LotAdminForm
    list_display = ["lot_number", "product", "status", "expires_on", "concentration", "stock_on_hand"]
    list_filter = ["status", "product", ("expires_on", admin.DateFieldListFilter)]
    search_fields = ["lot_number", "product__name"]
    list_select_related = ["product"]
    # The version travels in the form (hidden) for the stale-form check, so it is not read-only here.
    readonly_fields = ["stock_on_hand", "recalled_at", "recalled_by"] + [
        name for name in CLINICAL_READONLY if name != "version"
    ]
    exclude = ["version"]  # not from the model (it is not editable): the form declares its own

    def get_queryset(self, request):
        return super().get_queryset(request).with_stock()

    @admin.display(description="stock on hand (ml)", ordering="stock_on_hand_ml")
    def stock_on_hand(self, obj):
        if obj.pk is None:
            return "–"
        stock = getattr(obj, "stock_on_hand_ml", None)
        return format_amount(stock if stock is not None else obj.current_stock_ml())

    def save_model(self, request, obj, form, change):
        lot_save(
            lot=obj,
            user=request.user,
            expected_version=form.cleaned_data.get("version"),
            reason="Edited in the admin" if change else "Received (admin)",
        )


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


@admin.register(Protocol)
class ProtocolAdmin(NoDeleteAdminMixin, AttributedAdminMixin, SimpleHistoryAdmin):
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
    readonly_fields = CLINICAL_READONLY
    inlines = [FollowUpStepInline]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "subtitle": "A treatment is judged by the version in force on its date. To change the rules "
            "from a date on, add a version with that date rather than editing the one in force.",
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)


class AdministrationInline(admin.TabularInline):
    model = Administration
    extra = 0
    fields = [
        "route",
        "site",
        "lot",
        "dose_billion",
        "volume_ml",
        "whole_dose_given",
        "not_given_reason",
        "voided_at",
        "void_reason",
    ]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Treatment)
class TreatmentAdmin(NoDeleteAdminMixin, SimpleHistoryAdmin):
    """Read-only here: recording, signing, amending and voiding happen on the clinical pages, where the
    dose, lot, stock and signature rules are checked. The admin is for finding and auditing."""

    list_display = ["performed_at", "patient", "physician", "course_position", "round_number", "status"]
    list_filter = ["status", "course_position", "physician", ("performed_at", admin.DateFieldListFilter)]
    search_fields = ["patient__mrn", "patient__family_name", "administrations__lot__lot_number"]
    list_select_related = ["patient", "physician"]
    date_hierarchy = "performed_at"
    inlines = [AdministrationInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "subtitle": "Read-only: treatments are recorded, signed, amended and voided on the clinical "
            "pages, where every rule is checked.",
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)
