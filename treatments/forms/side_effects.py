"""Side-effect report, amendment, review and the figures' period."""

from django import forms

from clinic.form_parts import DateField, DateInput, VersionedFormMixin, check_period
from clinic.formats import day as format_day
from treatments.models import SideEffectReport
from treatments.selectors.side_effects import side_effect_treatments
from treatments.services.side_effects import REPORT_FIELDS


class TreatmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        position = obj.get_course_position_display()
        return f"{format_day(obj.treatment_date)} · {position} (round {obj.round_number})"


class SideEffectReportForm(VersionedFormMixin, forms.ModelForm):
    """Report or amend a side effect. The model's clean() (dates, grade 5, other-with-text) runs on
    the instance, so each rule's message shows on its field."""

    treatment = TreatmentChoiceField(queryset=None, help_text="The treatment the side effect followed.")

    class Meta:
        model = SideEffectReport
        fields = ["treatment", *REPORT_FIELDS]
        field_classes = {"onset": DateField, "resolved_on": DateField}
        widgets = {
            "onset": DateInput(),
            "resolved_on": DateInput(),
            "action_taken": forms.Textarea(attrs={"rows": 2}),
            "narrative": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, patient, amending: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        signed = side_effect_treatments(patient=patient)
        self.fields["treatment"].queryset = signed
        if not self.instance.pk and not self.initial.get("treatment"):
            latest = signed.first()
            if latest is not None:
                self.initial["treatment"] = latest.pk
        self.fields["term_other"].help_text = "Required when the term is “Other”."
        self.fields["grade"].help_text = "CTCAE v5: 1 mild … 5 death (grade 5 needs a fatal outcome)."
        if amending:
            self.add_version_field()
            self.fields["reason"] = forms.CharField(
                label="Reason for the amendment",
                max_length=2000,
                help_text="Required (up to 2,000 characters); kept in the history with the old values.",
            )

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in REPORT_FIELDS}


class ReviewForm(forms.Form):
    assessment = forms.CharField(
        label="Your assessment", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )
    action = forms.CharField(
        label="Action decided",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=4000,
        required=False,
        help_text="E.g. no action, call the patient, see in clinic, report to the manufacturer.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class PeriodForm(forms.Form):
    start = DateField(widget=DateInput(attrs={"class": "form-control"}))
    end = DateField(widget=DateInput(attrs={"class": "form-control"}))

    def clean(self):
        cleaned = super().clean()
        check_period(
            self,
            start="start",
            end="end",
            order_message="The end of the period must be on or after its start.",
        )
        return cleaned
