"""Django admin for the registry records: patients, products and lots, saved through their services,
and treatments, read-only."""

from django import forms
from django.contrib import admin

from clinic.admin import LabelledListEditableMixin
from clinic.form_parts import VersionedFormMixin
from clinic.models import StaleRecord
from treatments.admin.base import ReadOnlyClinicalAdmin, ServiceAdmin
from treatments.dosing import format_amount
from treatments.forms.lots import LOT_FIELDS, LotRulesFormMixin
from treatments.models import Administration, Indication, Lot, Patient, Product, Treatment
from treatments.services.lots import lot_save
from treatments.services.patients import patient_save
from treatments.services.products import product_save


@admin.register(Patient)
class PatientAdmin(ServiceAdmin):
    """Saves go through ``patient_save``, as on the registry pages."""

    patient_attname = "pk"
    list_display = ["mrn", "family_name", "given_name", "date_of_birth", "consent_on_file", "voided_at"]
    list_filter = ["sex", "indications", ("voided_at", admin.EmptyFieldListFilter)]
    search_fields = ["mrn", "family_name", "given_name"]
    filter_horizontal = ["indications"]

    def save_through_service(self, request, form, formsets, change):
        patient_save(
            patient=form.instance,
            user=request.user,
            indications=form.cleaned_data.get("indications"),
            expected_version=form.cleaned_data.get("version"),
            reason=self.reason(change),
        )


@admin.register(Indication)
class IndicationAdmin(LabelledListEditableMixin, admin.ModelAdmin):
    list_display = ["name", "code", "order"]
    list_editable = ["order"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Product)
class ProductAdmin(ServiceAdmin):
    """Saves go through ``product_save`` (products have no page of their own)."""

    list_display = ["name", "manufacturer", "source", "kind", "storage_requirement", "voided_at"]
    list_filter = ["source", "kind", "storage_requirement"]
    search_fields = ["name", "manufacturer"]

    def save_through_service(self, request, form, formsets, change):
        product_save(
            product=form.instance,
            user=request.user,
            expected_version=form.cleaned_data.get("version"),
            reason=self.reason(change),
        )


def _after(fields: list[str], anchor: str, name: str) -> list[str]:
    at = fields.index(anchor) + 1
    return [*fields[:at], name, *fields[at:]]


class LotAdminForm(LotRulesFormMixin, VersionedFormMixin, forms.ModelForm):
    # Declared on the class so that the admin lists it among the form's fields and renders it.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Lot
        # The lot pages' fields; here the status may also be set to recalled, with its reason.
        fields = _after(LOT_FIELDS, "status", "recall_reason")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_version_field()

    def clean(self):
        # A stale form as a form error above the form, with what was typed kept (lot_save checks
        # again under lock).
        cleaned = super().clean()
        version = cleaned.get("version")
        if self.instance.pk and version is not None:
            stored = Lot._base_manager.filter(pk=self.instance.pk).values_list("version", flat=True).first()
            if stored != version:
                raise forms.ValidationError(str(StaleRecord(self.instance)))
        return cleaned


@admin.register(Lot)
class LotAdmin(ServiceAdmin):
    """Saves go through ``lot_save``, as on the lot pages: the same ledger and recall rules."""

    form = LotAdminForm
    list_display = ["lot_number", "product", "status", "expires_on", "concentration", "stock_on_hand"]
    list_filter = ["status", "product", ("expires_on", admin.DateFieldListFilter)]
    search_fields = ["lot_number", "product__name"]
    list_select_related = ["product"]
    readonly_fields = ["stock_on_hand", "recalled_at", "recalled_by", *ServiceAdmin.readonly_fields]

    def get_queryset(self, request):
        return super().get_queryset(request).with_stock()

    @admin.display(description="stock on hand (ml)", ordering="stock_on_hand_ml")
    def stock_on_hand(self, obj):
        if obj.pk is None:
            return "–"
        stock = getattr(obj, "stock_on_hand_ml", None)
        return format_amount(stock if stock is not None else obj.current_stock_ml())

    def save_through_service(self, request, form, formsets, change):
        lot_save(
            lot=form.instance,
            user=request.user,
            expected_version=form.cleaned_data.get("version"),
            reason="Edited in the admin" if change else "Received (admin)",
        )


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

    def get_queryset(self, request):
        # Each row names its lot by product and number: read with the rows, not one query per row.
        return super().get_queryset(request).select_related("lot__product")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Treatment)
class TreatmentAdmin(ReadOnlyClinicalAdmin):
    """Read-only here: recording, signing, amending and voiding happen on the clinical pages, where the
    dose, lot, stock and signature rules are checked. The admin is for finding and auditing."""

    pages_note = (
        "Read-only: treatments are recorded, signed, amended and voided on the clinical "
        "pages, where every rule is checked."
    )
    patient_attname = "patient_id"
    list_display = ["performed_at", "patient", "physician", "course_position", "round_number", "status"]
    list_filter = ["status", "course_position", "physician", ("performed_at", admin.DateFieldListFilter)]
    search_fields = ["patient__mrn", "patient__family_name", "administrations__lot__lot_number"]
    list_select_related = ["patient", "physician"]
    inlines = [AdministrationInline]

    def get_queryset(self, request):
        # The change page names the patient, the physician and the indication: one query with them.
        return super().get_queryset(request).select_related("patient", "physician", "indication")
