"""Finding a patient by a typed record number without putting it (or a name) in a URL."""

from django import forms


class RecordNumberForm(forms.Form):
    """A record number typed in; sent by POST and turned into the patient's id."""

    mrn = forms.CharField(label="Record number", max_length=32)
