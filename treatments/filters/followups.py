"""The worklist's filters: physician, step and patient, each by id or code (never a name in a URL)."""

import dataclasses

import django_filters
from django import forms
from django.contrib.auth import get_user_model

from clinic.roles import PHYSICIAN
from treatments.filters.base import ListFilterSet
from treatments.models import FollowUp, Patient, StepKind

SELECT = forms.Select(attrs={"class": "form-select"})


@dataclasses.dataclass
class SelectField:
    """A filter select as the page prints it: plain values, no widget template per option."""

    name: str
    id: str
    label: str
    options: list[tuple[str, str, bool]]  # value, label, selected
    errors: list[str]


# django-filter calls these with the request for each form, so the choices are read per page view.
def physicians(request):
    return (
        get_user_model()
        .objects.filter(groups__name=PHYSICIAN, is_active=True)
        .order_by("last_name", "first_name", "username")
    )


class PhysicianChoiceField(forms.ModelChoiceField):
    """Physicians by full name, as the rows and the follow-up page show them (the user name only
    for an account with no name)."""

    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.username


class PhysicianFilter(django_filters.ModelChoiceFilter):
    field_class = PhysicianChoiceField


def active_patients(request):
    return Patient.objects.active()


class PatientChoiceField(forms.ModelChoiceField):
    """Django's own field, not django-filter's: the page sets its choices (see ``offer_patients``),
    which django-filter's field would wrap again."""

    def label_from_instance(self, obj):
        return f"{obj.family_name}, {obj.given_name} ({obj.mrn})"


class WorklistPatientFilter(django_filters.ModelChoiceFilter):
    field_class = PatientChoiceField


class WorklistFilter(ListFilterSet):
    """Any active patient may be asked for by id; the select offers only those on the worklist."""

    physician = PhysicianFilter(
        label="Physician",
        queryset=physicians,
        empty_label="All physicians",
        widget=SELECT,
        method="filter_physician",
    )
    kind = django_filters.ChoiceFilter(
        label="Step", choices=StepKind.choices, empty_label="All steps", widget=SELECT
    )
    patient = WorklistPatientFilter(
        label="Patient", queryset=active_patients, empty_label="All patients", widget=SELECT
    )

    class Meta:
        model = FollowUp
        fields = []

    def filter_physician(self, queryset, name, physician):
        return queryset.for_physician(physician)

    def offer_patients(self, patients) -> None:
        """Offer these patients and the one asked for, by name, in the patient select. It makes no
        query of its own: a select of every patient of the clinic would be long and slow."""
        offered = {patient.pk: patient for patient in patients}
        if self.is_valid() and self.form.cleaned_data["patient"]:
            chosen = self.form.cleaned_data["patient"]
            offered[chosen.pk] = chosen
        field = self.form.fields["patient"]
        field.choices = [("", "All patients")] + [
            (patient.pk, field.label_from_instance(patient))
            for patient in sorted(offered.values(), key=lambda p: (p.family_name, p.given_name, p.pk))
        ]

    def selects(self) -> list[SelectField]:
        """The form's selects as values for the page's own markup. Django renders a select through
        a template per option, which cost the worklist a fifth of its time; the markup the page
        prints is the same (with aria-invalid and the error's id when a value is refused)."""
        selects = []
        for bound in self.form:
            value = bound.value()
            chosen = "" if value is None else str(value)
            options = [(str(key), str(label), str(key) == chosen) for key, label in bound.field.choices]
            selects.append(
                SelectField(bound.html_name, bound.auto_id, str(bound.label), options, bound.errors)
            )
        return selects
