"""Forms that work a follow-up (each posts to its own URL)."""

from django import forms
from django.utils import timezone

from clinic.form_parts import DateField, DateInput, DateTimeField, DateTimeInput
from clinic.formats import day as format_day
from treatments.models import AttemptOutcome, Contact, Decision, FollowUp
from treatments.services.followup_actions import COMPLETION_FIELDS

REASON_HELP = "Required. Kept with the follow-up and in its history."


def _field(name: str, **kwargs):
    """A form field made from the FollowUp model field, with its label, limits and choices."""
    return FollowUp._meta.get_field(name).formfield(**kwargs)


class VersionField(forms.IntegerField):
    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)


class FollowUpCompleteForm(forms.Form):
    contact = forms.ChoiceField(label="How the patient was reached", choices=Contact.choices)
    completed_at = DateTimeField(
        label="Contact date and time", widget=DateTimeInput(), help_text="Leave as is for a contact made now."
    )
    pain = _field("pain")
    energy = _field("energy")
    global_impression = _field("global_impression")
    flare_up = _field("flare_up")
    new_side_effects = _field("new_side_effects", help_text="If yes, also file a side-effect report.")
    decision = forms.ChoiceField(
        label="Decision on further treatment", choices=[("", "---------"), *Decision.choices], required=False
    )
    home_care_protocol = _field("home_care_protocol", widget=forms.Textarea(attrs={"rows": 2}))
    notes = _field("notes", widget=forms.Textarea(attrs={"rows": 3}))
    version = VersionField()

    def __init__(self, *args, followup: FollowUp, **kwargs):
        kwargs.setdefault("prefix", "complete")
        super().__init__(*args, **kwargs)
        self.initial.setdefault("completed_at", timezone.localtime().replace(second=0, microsecond=0))
        self.initial.setdefault("version", followup.version)
        if followup.is_assessment:
            self.fields["decision"].required = True
        else:
            # The treatment decision belongs to the 3-month assessment only.
            del self.fields["decision"]
            del self.fields["home_care_protocol"]

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in COMPLETION_FIELDS if name in self.cleaned_data}


class FollowUpAttemptForm(forms.Form):
    contact = forms.ChoiceField(label="Tried by", choices=Contact.choices)
    outcome = forms.ChoiceField(choices=AttemptOutcome.choices)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)
    mark_missed = forms.BooleanField(
        label="Give up: mark the follow-up missed",
        required=False,
        help_text="It leaves the worklist; it can still be completed if the patient calls back.",
    )
    version = VersionField()

    def __init__(self, *args, followup: FollowUp, **kwargs):
        kwargs.setdefault("prefix", "attempt")
        super().__init__(*args, **kwargs)
        self.initial.setdefault("version", followup.version)


class FollowUpCancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason for cancelling",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text=REASON_HELP,
    )
    version = VersionField()

    def __init__(self, *args, followup: FollowUp, **kwargs):
        kwargs.setdefault("prefix", "cancel")
        super().__init__(*args, **kwargs)
        self.initial.setdefault("version", followup.version)


class FollowUpRescheduleForm(forms.Form):
    new_due = DateField(label="New due date", widget=DateInput())
    reason = forms.CharField(
        label="Reason for rescheduling",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text=REASON_HELP,
    )
    version = VersionField()

    def __init__(self, *args, followup: FollowUp, **kwargs):
        kwargs.setdefault("prefix", "reschedule")
        super().__init__(*args, **kwargs)
        self.initial.setdefault("version", followup.version)
        window = f"{format_day(followup.window_start)} to {format_day(followup.window_end)}"
        self.fields["new_due"].help_text = (
            f"Inside the window ({window}) only "
            "the due date moves; outside it the window moves along, keeping its width."
        )


class FollowUpAcknowledgeForm(forms.Form):
    """A physician has seen that the follow-up was missed (the page says what follows from it)."""

    version = VersionField()

    def __init__(self, *args, followup: FollowUp, **kwargs):
        kwargs.setdefault("prefix", "acknowledge")
        super().__init__(*args, **kwargs)
        self.initial.setdefault("version", followup.version)
