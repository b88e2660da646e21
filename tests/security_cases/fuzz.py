"""Form fuzzing: the strategies that make form data, and FormCase, the registry entry of a form.

The cases themselves live in fuzz_patients, fuzz_treatments and fuzz_followups (by feature);
tests/test_security_fuzz.py fuzzes each of them.
"""

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from hypothesis import strategies as st

from clinic.models import StaleRecord

# Examples per form. CI's second pass (the same suite on PostgreSQL) sets EXOLOG_FUZZ_EXAMPLES
# lower: the forms' parsing is the same on both databases, and what differs (the constraints) is
# what the saved examples, kept at SAVED, reach.
EXAMPLES = int(os.environ.get("EXOLOG_FUZZ_EXAMPLES", "200"))
SAVED = 30

NASTY = [
    "",
    " ",
    "\x00",
    "\u202e",
    "🧪" * 3,
    "<script>alert(1)</script>",
    "\"'><img src=x onerror=alert(1)>",
    "' OR 1=1 --",
    "NaN",
    "1e309",
    "-1",
    "0",
    "9" * 40,
    "2026-02-30",
    "0000-00-00",
    "../../etc/passwd",
    "a" * 5000,
]
GARBAGE = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=300),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.dates().map(dt.date.isoformat),
    st.binary(max_size=40).map(lambda raw: raw.decode("latin-1")),
)


def choice_values(field) -> list[str]:
    values = []
    for value, _ in field.choices:
        value = getattr(value, "value", value)
        if value not in ("", None):
            values.append(str(value))
    return values


def field_strategy(field):
    """Plausible values for the field's type, mixed with garbage for any field."""
    if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
        choices = choice_values(field)
        item = st.one_of(st.sampled_from(choices), GARBAGE) if choices else GARBAGE
        return st.lists(item, max_size=4)
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        choices = choice_values(field)
        plausible = st.sampled_from(choices) if choices else GARBAGE
    elif isinstance(field, forms.BooleanField):
        plausible = st.sampled_from(["on", "true", "false", ""])
    elif isinstance(field, forms.DateField):
        dates = st.dates(min_value=dt.date(1890, 1, 1), max_value=dt.date(2100, 1, 1))
        plausible = dates.map(dt.date.isoformat)
    elif isinstance(field, forms.IntegerField):
        plausible = st.integers(min_value=-(2**70), max_value=2**70).map(str)
    elif isinstance(field, forms.EmailField):
        plausible = st.emails().map(str)
    else:
        plausible = st.text(min_size=1, max_size=getattr(field, "max_length", None) or 300)
    return st.one_of(plausible, plausible, GARBAGE).map(lambda value: [value])


def form_data(fields, baseline):
    """Without a baseline every field is fuzzed (or left out). With one, a random set of fields is
    fuzzed or left out and the rest keep their valid values, so the save path is fuzzed too."""
    fuzzed = {name: field_strategy(field) for name, field in fields.items()}
    if not baseline:
        return st.fixed_dictionaries({}, optional=fuzzed).map(MultiValueDict)

    # Built once, not on every draw: Hypothesis validates each new strategy, which was most of the
    # cost of generating an example.
    changed_names = st.sets(st.sampled_from(sorted(fields)))
    fuzzed_or_left_out = {name: st.one_of(st.none(), strategy) for name, strategy in fuzzed.items()}

    @st.composite
    def mixed(draw):
        data = {name: value if isinstance(value, list) else [value] for name, value in baseline.items()}
        for name in sorted(draw(changed_names)):
            value = draw(fuzzed_or_left_out[name])
            if value is None:
                data.pop(name, None)
            else:
                data[name] = value
        return MultiValueDict(data)

    return mixed()


@dataclass
class FormCase:
    form_class: type
    label: str
    build: Callable  # (ctx, data) -> bound form
    save: Callable | None = None  # (ctx, form) -> None, run when valid
    baseline: Callable | None = None  # (ctx) -> valid data; fields are then fuzzed a few at a time
    expected_errors: tuple = ()  # exceptions the view turns into a message (e.g. StaleRecord)
    saved: int = SAVED  # how many valid examples go through ``save`` (read-only ones: all of them)

    @property
    def id(self) -> str:
        return f"{self.form_class.__name__}({self.label})"


def _request(ctx):
    request = ctx.rf.post("/sign/", REMOTE_ADDR="10.9.9.9")
    request.user = ctx.physician
    return request


# Treatment recording, follow-ups and side effects ------------------------------------------------
# Each form is built the way its view builds it and, when valid, saved through the service the view
# calls. SERVICE_ERRORS are what those views turn into form errors (ServiceErrorsFormMixin,
# add_service_error, TreatmentActionView...): a rule refused or a stale form, never a 500.
SERVICE_ERRORS = (StaleRecord, ValidationError)


def fresh(record):
    return type(record).objects.get(pk=record.pk)


def prefixed(prefix: str, data: MultiValueDict) -> MultiValueDict:
    """The follow-up action forms are prefixed on their page (several share it)."""
    return MultiValueDict({f"{prefix}-{name}": data.getlist(name) for name in data})


def now_field() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")
