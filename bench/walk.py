"""The pages the bench requests: every pattern of the URL walk the tests use
(tests.helpers.urlwalk.all_patterns), its parameters filled with representative objects of the
dataset (the busiest lot, the patient with the most records, ...), and the role that may see it.

Patterns that no GET can measure (POST-only actions, pure redirects) are listed with the reason,
never dropped silently.
"""

import secrets
from dataclasses import dataclass, field

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.db.models import Count
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from django.utils.regex_helper import normalize
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.roles import CLINIC_ADMIN, PHYSICIAN
from faq.models import Entry
from tests.helpers.urlwalk import all_patterns
from treatments.models import (
    Administration,
    FollowUp,
    FollowUpAttempt,
    Lot,
    Patient,
    SideEffectReport,
    Treatment,
    TreatmentStatus,
)
from treatments.services.calendar import calendar_feed_create

# Patterns a GET cannot measure, by qualified name, and why.
NOT_MEASURED = {
    "logout": "POST only (logging out is a state change)",
    "admin:logout": "POST only",
    "calendar_feed_create": "POST only (makes a new feed link)",
    "calendar_feed_revoke": "POST only",
    "followup_complete": "POST only (a worklist action)",
    "followup_attempt": "POST only (a worklist action)",
    "followup_cancel": "POST only (a worklist action)",
    "followup_reschedule": "POST only (a worklist action)",
    "sideeffect_review": "POST only (the review decision)",
    "admin_login": "redirect only (to the site's one login page)",
    "admin:login": "shadowed by admin_login (a redirect to the site's login page)",
    "admin:view_on_site": "redirect only (to the object's own page)",
    "admin:autocomplete": "JSON for an admin select widget; needs the widget's query parameters",
}

# Who requests a page: the first role that is not refused (403). Pages before the second factor
# have their own sessions.
CLINICAL_ROLES = ("physician", "clinic_admin", "superuser")
ADMIN_ROLES = ("clinic_admin", "superuser")
SPECIAL_ROLES = {
    "login": ("anonymous",),
    "second_factor_verify": ("unverified",),
    "second_factor_enrol": ("unenrolled",),
}

BENCH_SUPERUSER = "bench.root"
BENCH_UNENROLLED = "bench.enrol"


@dataclass
class Page:
    name: str
    url: str = ""
    roles: tuple = CLINICAL_ROLES
    skip: str = ""
    what: str = ""  # the representative object, for the report
    secret: str = ""  # a credential in the URL (the calendar feed's token), never printed

    @property
    def measured(self) -> bool:
        return not self.skip

    @property
    def shown(self) -> str:
        """The URL as the report prints it: a token in it is replaced by ``<token>``."""
        return self.url.replace(self.secret, "<token>") if self.secret else self.url


@dataclass
class Representatives:
    """The objects a dataset's pages are filled with (primary keys), found once per dataset."""

    patient: int | None = None
    treatment: int | None = None
    draft: int | None = None
    lot: int | None = None
    followup: int | None = None
    side_effect: int | None = None
    faq_slug: str | None = None
    calendar_token: str | None = None
    users: dict = field(default_factory=dict)
    notes: dict = field(default_factory=dict)


def _top(queryset, key: str):
    row = queryset.values(key).annotate(n=Count("pk")).order_by("-n", f"-{key}").first()
    return (row[key], row["n"]) if row else (None, 0)


def bench_users() -> dict[str, User]:
    """The users the bench signs in as: a physician (the drafts' physician, so the sign and edit
    pages show what the treating physician sees), the clinic admin, a superuser for admin pages no
    role may see, and a physician without a second factor yet (the enrolment page)."""
    physicians = User.objects.filter(groups__name=PHYSICIAN, is_active=True).order_by("pk")
    draft = Treatment.objects.filter(status=TreatmentStatus.DRAFT, physician__in=physicians).first()
    physician = draft.physician if draft else physicians.first()
    clinic_admin = User.objects.filter(groups__name=CLINIC_ADMIN, is_active=True).order_by("pk").first()
    root, _ = User.objects.get_or_create(
        username=BENCH_SUPERUSER, defaults={"is_superuser": True, "is_staff": True, "first_name": "Bench"}
    )
    unenrolled, created = User.objects.get_or_create(
        username=BENCH_UNENROLLED, defaults={"first_name": "Bench"}
    )
    if created:
        unenrolled.groups.add(Group.objects.get(name=PHYSICIAN))
    TOTPDevice.objects.filter(user=unenrolled).delete()
    if physician is None or clinic_admin is None:
        raise SystemExit("The dataset has no physician or no clinic admin: was seed_demo run?")
    users = {
        "physician": physician,
        "clinic_admin": clinic_admin,
        "superuser": root,
        "unenrolled": unenrolled,
    }
    _admin_rows(users)
    return users


def _admin_rows(users: dict) -> None:
    """Rows the admin's second-factor and lockout pages show, so that those pages have an object:
    the devices the bench clients pass the second factor with (as tests/helpers/auth.py makes them),
    recovery codes, one failed login (a lockout attempt) and one successful login."""
    for user in (users["physician"], users["clinic_admin"], users["superuser"]):
        TOTPDevice.objects.get_or_create(user=user, name="test phone", defaults={"confirmed": True})
    recovery, _ = StaticDevice.objects.get_or_create(user=users["superuser"], name="Recovery codes")
    if not recovery.token_set.exists():
        recovery.token_set.create(token=StaticToken.random_token())
    client = Client()
    if not (AccessAttempt.objects.exists() and AccessFailureLog.objects.exists()):
        client.post(reverse("login"), {"username": BENCH_UNENROLLED, "password": "not the password"})
    if not AccessLog.objects.exists():
        root, password = users["superuser"], secrets.token_urlsafe(24)
        root.set_password(password)
        root.save(update_fields=["password"])
        client.post(reverse("login"), {"username": root.username, "password": password})


def representatives() -> Representatives:
    found = Representatives(users=bench_users())
    found.patient, n = _top(Treatment.objects.all(), "patient")
    followups = FollowUp.objects.filter(patient=found.patient).count()
    found.notes["patient"] = f"most treatments: {n} treatments, {followups} follow-ups"

    found.lot, n = _top(Administration.objects.all(), "lot")
    found.notes["lot"] = f"busiest lot: {n:,} administrations"

    signed = Administration.objects.filter(treatment__status=TreatmentStatus.SIGNED)
    found.treatment, n = _top(signed, "treatment")
    found.notes["treatment"] = f"signed, {n} administrations"

    draft = Treatment.objects.filter(status=TreatmentStatus.DRAFT, physician=found.users["physician"])
    found.draft = draft.order_by("-pk").values_list("pk", flat=True).first()
    found.notes["draft"] = "a draft of the signed-in physician"

    attempted = FollowUpAttempt.objects.filter(followup__in=FollowUp.objects.open())
    found.followup, n = _top(attempted, "followup")
    if found.followup is None:
        found.followup = FollowUp.objects.open().order_by("due_on", "pk").values_list("pk", flat=True).first()
    found.notes["followup"] = f"open, {n} call attempts"

    reports = SideEffectReport.objects.needing_review()
    found.side_effect = reports.order_by("-pk").values_list("pk", flat=True).first()
    found.notes["side_effect"] = "needing review"
    if found.side_effect is None:
        found.side_effect = SideEffectReport.objects.order_by("-pk").values_list("pk", flat=True).first()
        found.notes["side_effect"] = "latest"

    found.faq_slug = Entry.objects.published().order_by("pk").values_list("slug", flat=True).first()
    # The feed's token is shown once and stored only as a digest: make a fresh link for the bench.
    _, found.calendar_token = calendar_feed_create(user=found.users["physician"])
    return found


# URL name prefix (non-admin pages) -> the representative that fills its pk.
OWNER = {
    "patient": "patient",
    "treatment": "treatment",
    "lot": "lot",
    "followup": "followup",
    "sideeffect": "side_effect",
}
DRAFT_PAGES = {"treatment_update", "treatment_sign"}


def admin_object(model, found: Representatives):
    """The representative row of a model for its admin pages: the same as the site's pages where
    there is one, else the first row."""
    by_model = {
        Patient: found.patient,
        Treatment: found.treatment,
        Lot: found.lot,
        FollowUp: found.followup,
        SideEffectReport: found.side_effect,
        User: found.users["physician"].pk,
    }
    if model in by_model:
        return by_model[model]
    if model is TOTPDevice:
        return TOTPDevice.objects.filter(user=found.users["physician"]).values_list("pk", flat=True).first()
    if model is Entry:
        return Entry.objects.filter(slug=found.faq_slug).values_list("pk", flat=True).first()
    return model._default_manager.order_by("pk").values_list("pk", flat=True).first()


def _admin_values(regex: str, params: list[str], found: Representatives) -> tuple[dict, str]:
    """Values for an admin pattern's parameters, or a reason why it cannot be filled."""
    parts = regex.removeprefix("admin/").split("/")
    if params == ["app_label"]:
        return {"app_label": "treatments"}, ""
    try:
        model = apps.get_model(parts[0], parts[1])
    except (LookupError, ValueError, IndexError):
        return {}, "no model in this admin URL"
    pk = admin_object(model, found)
    if pk is None:
        return {}, f"no {model._meta.verbose_name} in the dataset"
    values = {params[0]: str(pk)}
    if len(params) > 1:  # simple-history's page of one past version
        rows = model.history.filter(**{model._meta.pk.name: pk})
        history = rows.order_by("-history_id").values_list("history_id", flat=True)
        if not history:
            return {}, f"no history row for this {model._meta.verbose_name}"
        values[params[1]] = str(history[0])
    return values, model._meta.verbose_name


def _site_values(name: str, params: list[str], found: Representatives) -> tuple[dict, str]:
    values = {}
    for param in params:
        if param == "patient_pk":
            values[param] = found.patient
        elif param == "slug":
            values[param] = found.faq_slug
        elif param == "token":
            values[param] = found.calendar_token
        elif name in DRAFT_PAGES:
            values[param] = found.draft
        else:
            owner = OWNER.get(name.split("_")[0])
            values[param] = getattr(found, owner) if owner else None
        if values[param] is None:
            return {}, f"no object for {param} in the dataset"
    key = "draft" if name in DRAFT_PAGES else OWNER.get(name.split("_")[0])
    if "patient_pk" in params:
        key = "patient"
    what = found.notes.get(key, "") if params else ""
    return {k: str(v) for k, v in values.items()}, what


def pages(found: Representatives) -> list[Page]:
    """Every pattern once, in URLconf order, filled for this dataset."""
    result = []
    for regex, pattern, namespace in all_patterns():
        template, params = normalize(regex)[0]
        name = f"{namespace}:{pattern.name}" if namespace else str(pattern.name)
        if pattern.name is None:  # e.g. the admin's unnamed redirects: named by their path
            shape = template % {param: f"<{param}>" for param in params}
            name = "/" + shape
        if name in NOT_MEASURED:
            result.append(Page(name, skip=NOT_MEASURED[name]))
            continue
        if pattern.name is None:
            result.append(Page(name, skip="redirect only (to the change page, or the admin's catch-all)"))
            continue
        if namespace == "admin":
            values, what = _admin_values(regex, params, found) if params else ({}, "")
            roles = ADMIN_ROLES
        else:
            values, what = _site_values(name, params, found)
            roles = SPECIAL_ROLES.get(name, CLINICAL_ROLES)
        if params and not values:
            result.append(Page(name, skip=what))
            continue
        url = "/" + template % values
        try:
            match = resolve(url)
        except Resolver404:
            result.append(Page(name, skip=f"{url} does not resolve"))
            continue
        if match.func is not pattern.callback:
            result.append(Page(name, skip=f"shadowed by {match.view_name}"))
            continue
        secret = values.get("token", "") if namespace != "admin" else ""
        result.append(Page(name, url=url, roles=roles, what=what, secret=secret))
    return result
