"""The role x view x method matrix, read by tests/test_security_matrix.py.

EXPECTED has a row per named view: the expected status per role for GET and POST, the object its
URL needs, and whether it changes state. A view added to the URLconf without a row here fails
test_every_named_view_has_a_row: add its row when you add the view.
"""

from dataclasses import dataclass

from faq.models import Entry
from treatments.services.calendar import calendar_feed_create
from treatments.services.followup_actions import followup_record_attempt

ROLES = ("physician", "staff", "clinic_admin", "no_role", "anonymous")
LOGIN = "login"  # anonymous: a redirect to the login page with ?next=


def row(physician, staff, clinic_admin, no_role, anonymous=LOGIN) -> dict:
    return dict(zip(ROLES, (physician, staff, clinic_admin, no_role, anonymous), strict=True))


@dataclass(frozen=True)
class View:
    get: dict
    post: dict
    obj: str | None = None  # the OBJECTS factory whose pk (or slug) fills the URL
    obj_in_url: bool = True  # False: the object is only needed for the view to act on
    changes_state: bool = False  # sign, void, delete...: GET must change nothing


# Objects a URL's parameter points at (a pk, a slug, or the string itself). A feature adds its own
# factory here; each takes the ``factories`` fixture
# of tests/test_security_matrix.py.
def _signed(f):
    return f.make_treatment(f.make_patient(), sign=True)


def _report(f):
    treatment = _signed(f)
    return f.make_report(treatment, onset=treatment.treatment_date)


def _missed(f):
    followup = _signed(f).followups.get(kind="check_in")
    followup_record_attempt(
        followup=followup, user=f.staff, contact="call", outcome="no_answer", mark_missed=True
    )
    followup.refresh_from_db()
    return followup


OBJECTS = {
    "patient": lambda f: f.make_patient(),
    "patient with a signed treatment": lambda f: _signed(f).patient,
    "draft treatment": lambda f: f.make_treatment(f.make_patient()),
    "signed treatment": _signed,
    "lot": lambda f: f.make_lot(),
    "follow-up": lambda f: _signed(f).followups.get(kind="check_in"),
    "missed follow-up": lambda f: _missed(f),
    "side-effect report": _report,
    "FAQ entry": lambda f: Entry.objects.published().first(),
    "calendar feed of the physician": lambda f: calendar_feed_create(user=f.physician)[0],
    # The calendar feed's token is its only credential: a made-up one is a 404 for everyone.
    "unknown calendar token": lambda f: "not-a-real-token",
}

EVERYONE_REDIRECTED = row(302, 302, 302, 302)
EXPECTED = {
    "home": View(get=row(200, 200, 200, 200), post=row(405, 405, 405, 405)),
    # Signed-in users are sent on from the login page whatever the method.
    "login": View(get=row(302, 302, 302, 302, anonymous=200), post=row(302, 302, 302, 302, anonymous=200)),
    "logout": View(get=row(405, 405, 405, 405), post=EVERYONE_REDIRECTED),
    # Already past the second factor, or a role without one: both pages send the user on.
    "second_factor_verify": View(get=EVERYONE_REDIRECTED, post=EVERYONE_REDIRECTED),
    "second_factor_enrol": View(get=EVERYONE_REDIRECTED, post=EVERYONE_REDIRECTED),
    "access_log": View(get=row(403, 403, 200, 403), post=row(403, 403, 405, 403)),
    "access_log_export": View(get=row(403, 403, 200, 403), post=row(403, 403, 405, 403)),
    "fhir_export": View(get=row(403, 403, 200, 403), post=row(403, 403, 405, 403)),
    # Reports: aggregates for physicians and clinic admins, each table a CSV/XLSX download.
    **{
        name: View(get=row(200, 403, 200, 403), post=row(405, 403, 405, 403))
        for page in ("report_treatments", "report_followups", "report_outcomes", "report_side_effects")
        for name in (page, f"{page}_export")
    },
    "report_index": View(get=row(200, 403, 200, 403), post=row(405, 403, 405, 403)),
    "fhir_export_download": View(get=row(403, 403, 200, 403), post=row(403, 403, 405, 403)),
    # The de-identified research export: physicians and clinic admins, not staff.
    "research_export": View(get=row(200, 403, 200, 403), post=row(405, 403, 405, 403)),
    "research_export_download": View(get=row(200, 403, 200, 403), post=row(405, 403, 405, 403)),
    "fhir_patient_everything": View(
        get=row(200, 200, 403, 403), post=row(405, 405, 403, 403), obj="patient with a signed treatment"
    ),
    # The admin's login URL only forwards to the site's login page, for everyone.
    "admin_login": View(get=row(302, 302, 302, 302, 302), post=row(302, 302, 302, 302, 302)),
    "patient_list": View(get=row(200, 200, 403, 403), post=row(302, 302, 403, 403)),
    # A list's download (CSV by default, ?format=xlsx) has exactly its page's permission; GET only.
    "patient_list_export": View(get=row(200, 200, 403, 403), post=row(405, 405, 403, 403)),
    "patient_create": View(get=row(200, 200, 403, 403), post=row(200, 200, 403, 403)),
    # The FHIR Patient import: registration's permission (an empty POST re-shows the form).
    "patient_import_fhir": View(get=row(200, 200, 403, 403), post=row(200, 200, 403, 403)),
    "patient_detail": View(get=row(200, 200, 403, 403), post=row(405, 405, 403, 403), obj="patient"),
    # The treatment summary for a referral letter (screen and PDF): the patient page's permission.
    "patient_summary": View(get=row(200, 200, 403, 403), post=row(405, 405, 403, 403), obj="patient"),
    "patient_summary_pdf": View(get=row(200, 200, 403, 403), post=row(405, 405, 403, 403), obj="patient"),
    "patient_update": View(get=row(200, 200, 403, 403), post=row(200, 200, 403, 403), obj="patient"),
    "patient_void": View(
        get=row(200, 403, 403, 403), post=row(200, 403, 403, 403), obj="patient", changes_state=True
    ),
    # Treatments: physicians and staff record drafts; only physicians sign and void signed ones
    # (staff void only the drafts they created); clinic admins see no treatment.
    "treatment_list": View(get=row(200, 200, 403, 403), post=row(405, 405, 403, 403)),
    "treatment_list_export": View(get=row(200, 200, 403, 403), post=row(405, 405, 403, 403)),
    "treatment_create": View(get=row(200, 200, 403, 403), post=row(200, 200, 403, 403), obj="patient"),
    "treatment_detail": View(
        get=row(200, 200, 403, 403), post=row(405, 405, 403, 403), obj="draft treatment"
    ),
    "treatment_update": View(
        get=row(200, 200, 403, 403), post=row(200, 200, 403, 403), obj="draft treatment"
    ),
    "treatment_sign": View(
        get=row(200, 403, 403, 403), post=row(200, 403, 403, 403), obj="draft treatment", changes_state=True
    ),
    # An amendment is a new draft (signed later by a physician): staff may start one, as they draft.
    "treatment_amend": View(
        get=row(200, 200, 403, 403), post=row(200, 200, 403, 403), obj="signed treatment", changes_state=True
    ),
    "treatment_void": View(
        get=row(200, 403, 403, 403), post=row(200, 403, 403, 403), obj="signed treatment", changes_state=True
    ),
    "treatment_print": View(
        get=row(200, 200, 403, 403), post=row(405, 405, 403, 403), obj="signed treatment"
    ),
    "treatment_print_pdf": View(
        get=row(200, 200, 403, 403), post=row(405, 405, 403, 403), obj="signed treatment"
    ),
    "treatment_aftercare": View(
        get=row(200, 200, 403, 403), post=row(405, 405, 403, 403), obj="signed treatment"
    ),
    "treatment_aftercare_pdf": View(
        get=row(200, 200, 403, 403), post=row(405, 405, 403, 403), obj="signed treatment"
    ),
    # Lots: everyone with a role sees stock (clinic admins without patient names); clinic admins
    # receive, edit and recall.
    "lot_list": View(get=row(200, 200, 200, 403), post=row(405, 405, 405, 403)),
    "lot_list_export": View(get=row(200, 200, 200, 403), post=row(405, 405, 405, 403)),
    "lot_create": View(get=row(403, 403, 200, 403), post=row(403, 403, 200, 403)),
    "lot_detail": View(get=row(200, 200, 200, 403), post=row(405, 405, 405, 403), obj="lot"),
    "lot_update": View(get=row(403, 403, 200, 403), post=row(403, 403, 200, 403), obj="lot"),
    "lot_recall": View(
        get=row(403, 403, 200, 403), post=row(403, 403, 200, 403), obj="lot", changes_state=True
    ),
    "lot_recall_csv": View(get=row(200, 200, 200, 403), post=row(405, 405, 405, 403), obj="lot"),
    "protocol_detail": View(get=row(200, 200, 200, 403), post=row(405, 405, 405, 403)),
    # Follow-ups: the care team's worklist. A typed record number is POSTed and redirected to an id;
    # the actions are POST only (a GET is 405) and re-render the page on a form error.
    "followup_list": View(get=row(200, 200, 403, 403), post=row(302, 302, 403, 403)),
    "followup_list_export": View(get=row(200, 200, 403, 403), post=row(405, 405, 403, 403)),
    "followup_detail": View(get=row(200, 200, 403, 403), post=row(405, 405, 403, 403), obj="follow-up"),
    **{
        name: View(
            get=row(405, 405, 403, 403), post=row(200, 200, 403, 403), obj="follow-up", changes_state=True
        )
        for name in ("followup_complete", "followup_attempt", "followup_cancel", "followup_reschedule")
    },
    # Only physicians acknowledge a missed follow-up as seen (a form of its version alone: an
    # empty POST acknowledges it).
    "followup_acknowledge": View(
        get=row(405, 403, 403, 403), post=row(302, 403, 403, 403), obj="missed follow-up", changes_state=True
    ),
    # Side effects: the care team reports and amends; physicians review and void.
    "sideeffect_list": View(get=row(200, 200, 403, 403), post=row(302, 302, 403, 403)),
    "sideeffect_review_queue": View(get=row(200, 403, 403, 403), post=row(405, 403, 403, 403)),
    "sideeffect_list_export": View(get=row(200, 200, 403, 403), post=row(405, 405, 403, 403)),
    "sideeffect_review_queue_export": View(get=row(200, 403, 403, 403), post=row(405, 403, 403, 403)),
    "sideeffect_figures": View(get=row(200, 200, 403, 403), post=row(405, 405, 403, 403)),
    "sideeffect_create": View(
        get=row(200, 200, 403, 403), post=row(200, 200, 403, 403), obj="patient with a signed treatment"
    ),
    "sideeffect_detail": View(
        get=row(200, 200, 403, 403), post=row(405, 405, 403, 403), obj="side-effect report"
    ),
    "sideeffect_update": View(
        get=row(200, 200, 403, 403), post=row(200, 200, 403, 403), obj="side-effect report"
    ),
    "sideeffect_void": View(
        get=row(200, 403, 403, 403),
        post=row(200, 403, 403, 403),
        obj="side-effect report",
        changes_state=True,
    ),
    "sideeffect_review": View(
        get=row(405, 403, 403, 403),
        post=row(200, 403, 403, 403),
        obj="side-effect report",
        changes_state=True,
    ),
    # Private calendar links: for users of the worklist; making and revoking one is POST only.
    "calendar_feed_manage": View(get=row(200, 200, 403, 403), post=row(405, 405, 403, 403)),
    "calendar_feed_create": View(
        get=row(405, 405, 403, 403), post=row(302, 302, 403, 403), changes_state=True
    ),
    "calendar_feed_revoke": View(
        get=row(405, 405, 403, 403),
        post=row(302, 302, 403, 403),
        obj="calendar feed of the physician",
        obj_in_url=False,
        changes_state=True,
    ),
    # Public by token (calendar apps cannot sign in): an unknown token is a 404 for everyone, and
    # the feed is read-only.
    "calendar_feed": View(
        get=row(404, 404, 404, 404, anonymous=404),
        post=row(405, 405, 405, 405, anonymous=405),
        obj="unknown calendar token",
    ),
    # The FAQ: every role reads it (clinic admins edit it in the admin).
    "faq:index": View(get=row(200, 200, 200, 403), post=row(405, 405, 405, 403)),
    # POST prints the sheet with the patient's name (kept out of the URL); it writes nothing.
    "faq:handout": View(get=row(200, 200, 200, 403), post=row(200, 200, 200, 403)),
    "faq:entry": View(get=row(200, 200, 200, 403), post=row(405, 405, 405, 403), obj="FAQ entry"),
}
