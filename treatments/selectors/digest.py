"""The daily reminder digest's content and recipients (``treatments.tasks`` renders and sends it).

Per user: the follow-ups due today, this week and overdue, and for physicians the side-effect
reports waiting for review. Mail leaves the clinic's machine, so a digest names no patient and no
clinical detail: each line carries the step, the dates, the patient's record number and a link to
the page behind the login.
"""

import dataclasses
import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from treatments.links import absolute_url
from treatments.models import FollowUp
from treatments.selectors.side_effects import side_effect_review_queue

FOLLOWUP_PERMISSION = ("treatments", "view_followup")
REVIEW_PERMISSION = "treatments.review_sideeffectreport"
# A digest lists this many lines per section; the counts are always complete.
LINES_PER_SECTION = 50


def digest_recipients():
    """Active users with an email address who may see follow-ups through a role or a direct grant
    (a superuser without a clinic role gets no digest)."""
    app_label, codename = FOLLOWUP_PERMISSION
    permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(email="")
        .filter(Q(groups__permissions=permission) | Q(user_permissions=permission))
        .distinct()
        .order_by("username")
    )


@dataclasses.dataclass
class DigestSection:
    title: str
    count: int
    lines: list[dict]

    @property
    def more(self) -> int:
        return self.count - len(self.lines)


@dataclasses.dataclass
class Digest:
    user: object
    today: dt.date
    sections: list[DigestSection]

    @property
    def is_empty(self) -> bool:
        return not any(section.count for section in self.sections)

    @property
    def subject(self) -> str:
        parts = [f"{section.count} {section.title.lower()}" for section in self.sections if section.count]
        return "Exolog reminders: " + ", ".join(parts)


def _followup_lines(queryset) -> list[dict]:
    return [
        {
            "step": followup.step_name,
            "due_on": followup.due_on,
            "window_start": followup.window_start,
            "window_end": followup.window_end,
            "record_number": followup.patient.mrn,
            "optional": followup.step.optional,
            "url": absolute_url(reverse("followup_detail", args=[followup.pk])),
        }
        for followup in queryset.select_related("patient", "step")[:LINES_PER_SECTION]
    ]


def _review_lines(queryset) -> list[dict]:
    return [
        {
            "record_number": report.patient.mrn,
            "reported_on": timezone.localdate(report.reported_at),
            "url": absolute_url(reverse("sideeffect_detail", args=[report.pk])),
        }
        for report in queryset[:LINES_PER_SECTION]
    ]


def reminder_digest(*, user, today: dt.date) -> Digest:
    """One user's digest for ``today`` (the clinic's date); about eight queries."""
    followups = FollowUp.objects.reminders_for(user)
    selections = [
        ("Overdue", followups.overdue(today).order_by("window_end", "id")),
        ("Due today", followups.due_today(today).order_by("due_on", "id")),
        ("Due this week", followups.due_this_week(today).order_by("due_on", "id")),
    ]
    sections = [
        DigestSection(title, queryset.count(), _followup_lines(queryset)) for title, queryset in selections
    ]
    if user.has_perm(REVIEW_PERMISSION):
        reports = side_effect_review_queue(today=today)
        sections.append(
            DigestSection("Side-effect reports to review", reports.count(), _review_lines(reports))
        )
    return Digest(user=user, today=today, sections=sections)
