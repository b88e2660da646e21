"""The follow-up and side-effect forms' rules written out for the fuzz tests (tests/test_followup_access.py):
what each input must get, the Hypothesis strategies near those rules, and each rule at its labelled edge."""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import example, settings
from hypothesis import strategies as st

from treatments.models import RESOLVED_OUTCOMES, Causality, Contact, Decision, Outcome, Term

NOW = dt.datetime(2026, 5, 20, 9, tzinfo=dt.UTC)
TODAY = NOW.date()
TREATED = dt.date(2026, 2, 9)

# Fuzzing. Each example runs in a savepoint that is rolled back after it, with a client logged in
# inside it: every example starts from the fixtures' records, whatever the one before it saved. The
# status each example must get comes from the rules written out below (Django's form fields only
# read the typed text): a redirect when the input is acceptable, the form with its errors when not.

INVALID = object()


def read(field: forms.Field, raw):
    """What a Django form field makes of the posted text, or INVALID."""
    try:
        return field.clean(raw)
    except ValidationError:
        return INVALID


def clean_text(raw, *, required=False, max_length=None):
    """Text as a form keeps it (stripped; NUL characters refused), or INVALID."""
    return read(forms.CharField(required=required, max_length=max_length), raw)


def integer_in(raw, low: int, high: int) -> bool:
    """Empty, or a whole number from ``low`` to ``high``."""
    value = read(forms.IntegerField(required=False), raw)
    return value is None or (value is not INVALID and low <= value <= high)


def version_ok(raw, current: int) -> bool:
    """No version posted (nothing to compare), or the record's current one."""
    value = read(forms.IntegerField(required=False), raw)
    return value is None or value == current


def ticked(raw) -> bool:
    """A checkbox posted with any value but empty or "false" is ticked."""
    return raw is not None and raw != "" and raw.lower() != "false"


def completion_acceptable(data: dict, followup, role: str) -> bool:
    """Completing the 3-month assessment (treatments/services/followup_actions.py)."""
    if role != "physician":
        return False  # the physician completes the 3-month assessment: it decides further treatment
    when = read(forms.DateTimeField(), data.get("completed_at"))
    decision = data.get("decision")
    home_care = clean_text(data.get("home_care_protocol"))
    return (
        data.get("contact") in Contact.values
        and when is not INVALID
        and when <= NOW + dt.timedelta(minutes=5)  # a tablet's clock may be a little fast
        and timezone.localdate(when) >= TREATED
        and integer_in(data.get("pain"), 0, 10)
        and integer_in(data.get("energy"), 0, 10)
        and integer_in(data.get("global_impression"), 1, 7)
        and decision in Decision.values
        and home_care is not INVALID
        and (decision != Decision.HOME_CARE or bool(home_care))
        and clean_text(data.get("notes")) is not INVALID
        and version_ok(data.get("version"), followup.version)
    )


def reschedule_acceptable(data: dict, followup) -> bool:
    """A new due date after the treatment, from today to two years ahead, and a reason."""
    new_due = read(forms.DateField(), data.get("new_due"))
    return (
        new_due is not INVALID
        and new_due > TREATED
        and TODAY <= new_due <= TODAY + dt.timedelta(days=730)
        and new_due != followup.due_on
        and clean_text(data.get("reason"), required=True, max_length=2000) is not INVALID
        and version_ok(data.get("version"), followup.version)
    )


def report_acceptable(data: dict) -> bool:
    """A side-effect report: its dates between the treatment and today, grade 5 only if fatal, a
    resolved outcome only with its resolution date."""
    term, grade, outcome = data.get("term"), data.get("grade"), data.get("outcome")
    term_other = clean_text(data.get("term_other"), max_length=200)
    onset = read(forms.DateField(), data.get("onset"))
    resolved = read(forms.DateField(required=False), data.get("resolved_on"))
    return (
        term in Term.values
        and term_other is not INVALID
        and (term != Term.OTHER or bool(term_other))
        and onset is not INVALID
        and TREATED <= onset <= TODAY
        and resolved is not INVALID
        and (resolved is None or onset <= resolved <= TODAY)
        and grade in ("1", "2", "3", "4", "5")
        and outcome in Outcome.values
        and (resolved is not None or outcome not in RESOLVED_OUTCOMES)
        and (grade != "5" or (outcome == Outcome.FATAL and ticked(data.get("serious_death"))))
        and data.get("causality") in Causality.values
        and clean_text(data.get("narrative")) is not INVALID
    )


def form_errors(response, form) -> dict:
    return dict(form.errors) if response.status_code == 200 else {}


text = st.text(max_size=40)
number = st.one_of(st.integers(-5, 20).map(str), st.sampled_from(["", " 7 ", "3.0", "1e1", "٣"]))
value = st.one_of(text, number, st.sampled_from(["", "on", "true", "false", "2026-05-19T10:00"]))
free_text = st.one_of(text, st.sampled_from(["", "   ", "Stretching twice a day", "nul\x00byte"]))
ONE_DAY = dt.timedelta(days=1)
FUZZ = settings(max_examples=40, deadline=None)


def choice(values) -> st.SearchStrategy:
    return st.one_of(st.sampled_from([*values, ""]), text)


def days(*edges: dt.date) -> st.SearchStrategy:
    """The days at the edges of the rules, any day around the period, or any text."""
    around = st.dates(dt.date(2025, 1, 1), dt.date(2028, 12, 31)).map(str)
    edge = st.sampled_from([day.isoformat() for day in edges])
    return st.one_of(edge, edge, around, text)


def days_between(first: dt.date, last: dt.date) -> st.SearchStrategy:
    return st.dates(first, last).map(dt.date.isoformat)


def near(plausible: dict, garbage: dict, optional: dict | None = None) -> st.SearchStrategy:
    """Inputs around the acceptable ones: plausible values in every field (a quarter); the same with
    one field garbled or left out, to try one rule at a time (half); garbage in any fields."""

    @st.composite
    def draw_input(draw):
        data = draw(st.fixed_dictionaries(plausible, optional=optional or {}))
        how = draw(st.sampled_from(["plausible", "one garbled", "one garbled", "garbage"]))
        if how == "one garbled":
            key = draw(st.sampled_from(sorted(garbage)))
            garbled = draw(st.one_of(st.none(), garbage[key]))
            if garbled is None:
                data.pop(key, None)
            else:
                data[key] = garbled
        elif how == "garbage":
            data = draw(st.fixed_dictionaries({}, optional=garbage))
        return data

    return draw_input()


def with_examples(cases: list[tuple[dict, bool]]):
    """Run these hand-labelled cases (input, acceptable?) before the generated ones."""

    def decorate(test):
        for data, _ in reversed(cases):
            test = example(data)(test)
        return test

    return decorate


MOMENTS = [
    "2026-05-19T10:00",
    "2026-05-20 09:05",  # now plus the five minutes a clock may be fast
    "2026-05-20T09:06",
    "2026-02-09T00:00",
    "2026-02-08T23:59",
    "2026-13-01T10:00",
    "",
]
COMPLETION_INPUTS = near(
    plausible={
        "contact": st.sampled_from(Contact.values),
        "completed_at": st.sampled_from(["2026-05-19T10:00", "2026-05-20 09:05", "2026-02-09T00:00"]),
        "decision": st.sampled_from(Decision.values),
        "home_care_protocol": st.sampled_from(["Stretching twice a day", ""]),
    },
    optional={
        "pain": st.integers(0, 10).map(str),
        "energy": st.integers(0, 10).map(str),
        "global_impression": st.integers(1, 7).map(str),
        "flare_up": st.sampled_from(["true", "false", ""]),
        "notes": text,
        "version": st.just("1"),
    },
    garbage={
        "contact": choice(Contact.values),
        "completed_at": st.one_of(st.sampled_from(MOMENTS), st.sampled_from(MOMENTS), text),
        "decision": choice(Decision.values),
        "pain": number,
        "energy": number,
        "global_impression": number,
        "flare_up": value,
        "home_care_protocol": free_text,
        "notes": free_text,
        "version": st.one_of(number, text),
    },
)
RESCHEDULE_INPUTS = near(
    plausible={
        "new_due": days_between(TODAY, TODAY + dt.timedelta(days=730)),
        "reason": st.sampled_from(["On holiday", "Asked to move it"]),
    },
    optional={"version": st.just("1")},
    garbage={
        "new_due": days(TREATED, TREATED + ONE_DAY, TODAY - ONE_DAY, TODAY, TODAY + dt.timedelta(days=731)),
        "reason": free_text,
        "version": st.one_of(number, text),
    },
)
REPORT_INPUTS = near(
    plausible={
        "term": st.sampled_from([term for term in Term.values if term != Term.OTHER]),
        "onset": days_between(TREATED, TODAY),
        "grade": st.sampled_from(["1", "2", "3", "4"]),
        "outcome": st.sampled_from(Outcome.values),
        "causality": st.sampled_from(Causality.values),
    },
    optional={"narrative": text, "serious_death": st.sampled_from(["on", ""])},
    garbage={
        "term": choice(Term.values),
        "term_other": free_text,
        "onset": days(TREATED - ONE_DAY, TREATED, TODAY, TODAY + ONE_DAY),
        "resolved_on": days(TREATED, TODAY, TODAY + ONE_DAY),
        "grade": st.one_of(number, text),
        "outcome": choice(Outcome.values),
        "causality": choice(Causality.values),
        "serious_death": value,
        "narrative": free_text,
    },
)

# Each rule at its edge, labelled for the physician (staff are refused them all: the 3-month
# assessment is the physician's). They run first in every fuzz test below.
DONE = {"contact": "visit", "completed_at": "2026-05-19T10:00", "decision": "booster"}
COMPLETIONS = [
    (DONE, True),
    (DONE | {"contact": "email"}, False),
    (DONE | {"completed_at": "2026-05-20 09:05"}, True),
    (DONE | {"completed_at": "2026-05-20T09:06"}, False),
    (DONE | {"completed_at": "2026-02-09T00:00"}, True),
    (DONE | {"completed_at": "2026-02-08T23:59"}, False),
    (DONE | {"pain": "10", "energy": "0", "global_impression": "7"}, True),
    (DONE | {"pain": "11"}, False),
    (DONE | {"energy": "-1"}, False),
    (DONE | {"global_impression": "0"}, False),
    (DONE | {"decision": ""}, False),
    (DONE | {"decision": "home_care"}, False),
    (DONE | {"decision": "home_care", "home_care_protocol": "  "}, False),
    (DONE | {"decision": "home_care", "home_care_protocol": "Stretching"}, True),
    (DONE | {"notes": "nul\x00byte"}, False),
    (DONE | {"version": "1"}, True),
    (DONE | {"version": "2"}, False),
]
MOVE = {"new_due": "2026-06-01", "reason": "On holiday"}
RESCHEDULES = [
    (MOVE, True),
    (MOVE | {"reason": "   "}, False),
    (MOVE | {"new_due": "2026-05-19"}, False),  # yesterday
    (MOVE | {"new_due": "2026-05-21"}, True),
    (MOVE | {"new_due": "2026-05-20"}, False),  # already due today
    (MOVE | {"new_due": "2028-05-19"}, True),  # two years ahead
    (MOVE | {"new_due": "2028-05-20"}, False),
    (MOVE | {"new_due": "2026-02-30"}, False),
    (MOVE | {"version": "1"}, True),
    (MOVE | {"version": "0"}, False),
]
FEVER = {
    "term": "fever",
    "onset": "2026-05-01",
    "resolved_on": "2026-05-02",
    "grade": "2",
    "outcome": "resolved",
    "causality": "possible",
}
REPORTS = [
    (FEVER, True),
    (FEVER | {"term": "other"}, False),
    (FEVER | {"term": "other", "term_other": "Rash"}, True),
    (FEVER | {"onset": "2026-02-08"}, False),
    (FEVER | {"onset": "2026-02-09", "resolved_on": "2026-05-20"}, True),
    (FEVER | {"onset": "2026-05-21"}, False),
    (FEVER | {"resolved_on": "2026-04-30"}, False),
    (FEVER | {"resolved_on": "2026-05-21"}, False),
    (FEVER | {"resolved_on": ""}, False),  # resolved, but when?
    (FEVER | {"resolved_on": "", "outcome": "resolved_sequelae"}, False),
    (FEVER | {"resolved_on": "", "outcome": "recovering"}, True),
    (FEVER | {"grade": "6"}, False),
    (FEVER | {"grade": "5", "serious_death": "on"}, False),
    (FEVER | {"grade": "5", "outcome": "fatal"}, False),
    (FEVER | {"grade": "5", "outcome": "fatal", "serious_death": "on"}, True),
    (FEVER | {"causality": ""}, False),
    (FEVER | {"narrative": "nul\x00byte"}, False),
]
