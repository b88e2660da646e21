"""The treatment form with its administrations, and the sign, amend and void forms."""

from django import forms
from django.contrib.auth import get_user_model
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils import timezone

from clinic.form_parts import DateTimeField, DateTimeInput, VersionedFormMixin
from clinic.formats import day as format_day
from clinic.roles import PHYSICIAN
from treatments.dosing import format_amount
from treatments.models import Administration, Lot, Protocol, Treatment
from treatments.models.treatments import VISIT_FIELDS


def physician_choices():
    return (
        get_user_model()
        .objects.filter(groups__name=PHYSICIAN, is_active=True)
        .order_by("last_name", "first_name", "username")
    )


class PhysicianChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


class TreatmentForm(VersionedFormMixin, forms.ModelForm):
    """The visit. A physician records their own treatments (the field is left out, so a posted
    ``physician`` is ignored); staff drafting for a physician must choose one."""

    class Meta:
        model = Treatment
        fields = list(VISIT_FIELDS)
        field_classes = {"physician": PhysicianChoiceField, "performed_at": DateTimeField}
        widgets = {
            "performed_at": DateTimeInput(),
            "notes": forms.Textarea(attrs={"rows": 2}),
            "baseline_pain": forms.NumberInput(attrs={"min": 0, "max": 10}),
            "baseline_energy": forms.NumberInput(attrs={"min": 0, "max": 10}),
        }
        help_texts = {"performed_at": "When the treatment was given (clinic time)."}

    def __init__(self, *args, physician_field: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_version_field()
        if physician_field:
            self.fields["physician"].queryset = physician_choices()
            self.fields["physician"].empty_label = "Choose the treating physician"
        else:
            del self.fields["physician"]

    def clean_performed_at(self):
        # A treatment is judged by the protocol in force on its date: before the first one there is
        # none (the dose limit and the follow-ups would be undefined). Found by the form fuzzing.
        performed_at = self.cleaned_data.get("performed_at")
        if performed_at is not None:
            day = timezone.localdate(performed_at)
            if not Protocol.objects.active().filter(effective_from__lte=day).exists():
                raise forms.ValidationError(
                    f"No clinic protocol is in force on {format_day(day)}: check the date of the treatment."
                )
        return performed_at


def lot_label(lot) -> str:
    """A lot's option in the select: short enough for a phone, leading with what identifies it on
    the vial (the product and stock stand beside the select: ``lot_summary``)."""
    return f"{lot.lot_number} · exp {format_day(lot.expires_on)}"


def lot_summary(lot) -> str:
    return (
        f"{lot.product.name} · {format_amount(lot.stock_on_hand_ml)} ml left · "
        f"{format_amount(lot.concentration)} bn/ml"
    )


def lot_options(day, keep_ids=()) -> tuple[list, dict]:
    """(select choices, data by lot pk for the page's script and lot list) for the lots a treatment
    on ``day`` may use: released, unexpired, with stock, earliest expiry first; plus any lot a draft
    already holds, so that the service can say clearly why it may no longer be used (``usable``
    false, the reason in ``problem``). One query."""
    lots = Lot.objects.usable_on(day)
    if keep_ids:
        lots = lots | Lot.objects.filter(pk__in=keep_ids)
    choices, data = [("", "Choose a lot")], {}
    for lot in lots.with_stock().select_related("product"):
        reason = lot.unusable_reason(day)
        if lot.pk not in keep_ids and (reason or lot.stock_on_hand_ml <= 0):
            continue
        choices.append((lot.pk, f"{lot_label(lot)} · not usable" if reason else lot_label(lot)))
        data[str(lot.pk)] = {
            "lot_number": lot.lot_number,
            "expires_on": format_day(lot.expires_on),
            "product": lot.product.name,
            "left_ml": str(lot.stock_on_hand_ml),
            "concentration": str(lot.concentration),
            "summary": lot_summary(lot),
            "usable": not reason,
            "problem": reason,
        }
    return choices, data


class AdministrationForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Administration
        fields = ["route", "site", "lot", "dose_billion", "whole_dose_given", "not_given_reason"]
        widgets = {
            "dose_billion": forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}),
            "not_given_reason": forms.TextInput(),
            "site": forms.TextInput(attrs={"placeholder": "e.g. left knee, L4-L5"}),
        }
        labels = {"dose_billion": "Dose (billion)"}

    def __init__(self, *args, lot_choices=None, default_lot=None, lot_data=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lot_data = lot_data or {}
        self.add_version_field()
        # Any active lot passes the form; the service decides whether it may be used and says why.
        self.fields["lot"].queryset = Lot.objects.active()
        if lot_choices is not None:
            self.fields["lot"].widget.choices = lot_choices
        if default_lot and not self.instance.pk:
            self.initial.setdefault("lot", default_lot)

    @property
    def lot_summary(self) -> str:
        """The chosen lot's product and stock, shown beside the select (the page's script keeps it
        current as another lot is chosen)."""
        return self.lot_data.get(str(self["lot"].value()), {}).get("summary", "")

    def clean_dose_billion(self):
        dose = self.cleaned_data.get("dose_billion")
        if dose is not None and dose <= 0:
            raise forms.ValidationError("The dose must be more than 0 billion.")
        return dose


class BaseAdministrationFormSet(BaseInlineFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        # Nothing is deleted: a removed administration is voided ("Removed from draft").
        form.fields["DELETE"].label = "Remove"


AdministrationFormSet = inlineformset_factory(
    Treatment,
    Administration,
    form=AdministrationForm,
    formset=BaseAdministrationFormSet,
    extra=1,
    can_delete=True,
)


class SignForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
        help_text="Signing is your electronic signature: type your password again to confirm it is you.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, label="Reason", help_text="", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = label
        self.fields["reason"].help_text = help_text

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Give a reason.")
        return reason
