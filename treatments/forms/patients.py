"""Patient registration and editing."""

from django import forms

from clinic.form_parts import DateField, DateInput, ModelMultipleChoiceField, VersionedFormMixin
from treatments.models import Indication, Patient


class PatientForm(VersionedFormMixin, forms.ModelForm):
    indications = ModelMultipleChoiceField(
        queryset=Indication.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Patient
        fields = [
            "mrn",
            "given_name",
            "family_name",
            "date_of_birth",
            "sex",
            "phone",
            "email",
            "address",
            "indications",
            "consent_on_file",
            "allergies",
            "current_medication",
            "takes_anti_inflammatories",
            "notes",
        ]
        field_classes = {"date_of_birth": DateField, "consent_on_file": DateField}
        widgets = {
            "date_of_birth": DateInput(),
            "consent_on_file": DateInput(),
            "address": forms.Textarea(attrs={"rows": 2}),
            "allergies": forms.Textarea(attrs={"rows": 2}),
            "current_medication": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_version_field()
