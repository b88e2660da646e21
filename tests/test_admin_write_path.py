"""One write path: no registered Django admin changes a clinical record around its service.

The walk takes every admin in ``admin.site._registry`` whose model is a ClinicalRecord or keeps a
history, and each of its inlines. Such an admin is either read-only for a superuser (an add or a
change is refused and writes nothing), or saves through the record's service: a change posted from
the admin's own form lands in the history with the superuser and a reason, and a stale form is
refused. For all of them the history's revert form is refused (it saves an old version with
``save()``), and there is no list-editing and no action. A clinical model registered with a plain
ModelAdmin fails the walk: the last tests prove it on a scratch admin site.
"""

import dataclasses
import datetime as dt
from collections.abc import Callable

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin import ActionLocation, AdminSite
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from simple_history.admin import SimpleHistoryAdmin

from clinic.admin import NoDeleteAdminMixin
from clinic.audit import attribute
from clinic.models import ClinicalRecord
from faq.models import Category, Entry
from treatments.models import FollowUp, Lot, Patient, Product, Protocol, SideEffectReport, Treatment

pytestmark = [
    pytest.mark.django_db,
    # The admin is no second write path: its saves go through the services, with a reason.
    pytest.mark.security("audit_trail", "no_delete", "stale_forms"),
    pytest.mark.time_machine(dt.datetime(2026, 3, 20, 9, tzinfo=dt.UTC), tick=False),
]


def audited(model) -> bool:
    return issubclass(model, ClinicalRecord) or hasattr(model._meta, "simple_history_manager_attribute")


# Audited, but not clinical records: FAQ content has no service; its admin is its editor and the
# history names who changed what. These are only checked for that.
CONTENT = {Category, Entry}


@dataclasses.dataclass
class Case:
    sample: Callable  # ctx -> the record the admin is asked to change
    change: dict  # field -> a new value, as posted
    add: dict = dataclasses.field(default_factory=dict)  # what makes a copy of the sample a new record
    inline: tuple | None = None  # (formset prefix, row, {field: value}) for an editable inline
    reason: dict = dataclasses.field(default_factory=dict)  # a form field that says why, posted too


CASES = {
    Patient: Case(lambda ctx: ctx.patient, {"family_name": "Walked"}, add={"mrn": "MRN-WALK"}),
    Product: Case(lambda ctx: ctx.lot.product, {"notes": "Walked"}, add={"name": "Walk exosomes"}),
    Lot: Case(lambda ctx: ctx.lot, {"storage_location": "Freezer W"}, add={"lot_number": "KL-WALK"}),
    Protocol: Case(
        # A version no treatment was recorded under yet: one that governs a treatment is frozen
        # (read-only in the admin, refused by the service; tests/test_protocol_versions.py).
        lambda ctx: planned_protocol(),
        {"notes": "Walked"},
        add={"effective_from": "2031-01-01"},
        inline=("steps", 0, {"window_after_days": "9"}),
        reason={"change_reason": "Walked"},
    ),
    Treatment: Case(lambda ctx: ctx.treatment, {"notes": "Walked"}),
    FollowUp: Case(lambda ctx: ctx.treatment.followups.first(), {"status": "cancelled", "notes": "Walked"}),
    SideEffectReport: Case(lambda ctx: ctx.report, {"grade": "1", "narrative": "Walked"}),
    Category: Case(lambda ctx: Category.objects.order_by("pk").first(), {"name": "Walked"}),
    Entry: Case(lambda ctx: Entry.objects.order_by("pk").first(), {"question": "Walked?"}),
}


def planned_protocol() -> Protocol:
    """A version taking effect in 2030 (after the walk's today), with the steps of the one in force."""
    current = Protocol.objects.get(effective_from=dt.date(2000, 1, 1))
    planned, created = Protocol.objects.get_or_create(effective_from=dt.date(2030, 1, 1))
    if created:
        for step in current.steps.all():
            step.pk, step.protocol = None, planned
            step.save()
    return planned


def walked() -> list:
    return [model for model in admin.site._registry if audited(model)]


@pytest.fixture
def ctx(patient, lot, make_treatment, make_report):
    treatment = make_treatment(patient, sign=True)
    return dataclasses.make_dataclass("Ctx", ["patient", "lot", "treatment", "report"])(
        patient, lot, treatment, make_report(treatment, onset=treatment.treatment_date, grade=3)
    )


def admin_request(user, data=None):
    factory = RequestFactory()
    request = factory.get("/admin/") if data is None else factory.post("/admin/", data)
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request._dont_enforce_csrf_checks = True
    return request


def post(view, user, data, *args):
    """Call an admin view directly (so that a scratch admin site works too): (status, response)."""
    try:
        response = view(admin_request(user, data), *args)
    except PermissionDenied:
        return 403, None
    return response.status_code, response


def _text(value):
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def posted(form) -> dict:
    """What the browser posts for an unchanged form."""
    data = {}
    for bound in form:
        value, widget = bound.value(), bound.field.widget
        if isinstance(widget, forms.MultiWidget):
            parts = widget.decompress(value)
            data |= {f"{bound.html_name}_{i}": _text(p) for i, p in enumerate(parts) if p is not None}
        elif value is True:
            data[bound.html_name] = "on"
        elif value is not None and value is not False:
            data[bound.html_name] = _text(value)
    return data


def form_data(model_admin, user, obj, *, change=True) -> dict:
    """The admin's own form (and its inline formsets) for ``obj`` as it stands."""
    request = admin_request(user)
    data = posted(model_admin.get_form(request, obj if change else None, change=change)(instance=obj))
    parent = obj if change else model_admin.model()
    seen = {}
    for formset_class, inline in model_admin.get_formsets_with_inlines(request, parent):
        prefix = formset_class.get_default_prefix()  # numbered when repeated, as the admin does
        seen[prefix] = seen.get(prefix, 0) + 1
        prefix = prefix if seen[prefix] == 1 and prefix else f"{prefix}-{seen[prefix]}"
        formset = formset_class(**model_admin.get_formset_kwargs(request, parent, inline, prefix))
        data |= posted(formset.management_form)
        for form in formset.forms:
            data |= posted(form)
    if not change:
        data.pop("version", None)
    return data


def with_inline(data: dict, case: Case) -> dict:
    data = data | case.reason
    if case.inline is None:
        return data
    prefix, row, changes = case.inline
    return data | {f"{prefix}-{row}-{name}": value for name, value in changes.items()}


def last_history(record):
    # By id: seeded rows may carry a later date than the frozen clock of these tests.
    return record.history.order_by("-history_id").first()


def check_no_revert(model_admin, case, obj, user, snapshot):
    if not hasattr(model_admin, "history_form_view"):
        return  # not a history admin: no revert form
    oldest = obj.history.order_by("history_id").first()
    assert oldest is not None, f"{obj!r} has no history to revert to"
    data = posted(model_admin.get_form(admin_request(user), oldest.instance)(instance=oldest.instance))
    before = snapshot()
    status, _ = post(model_admin.history_form_view, user, data | case.change, str(obj.pk), str(oldest.pk))
    assert status == 403, f"{type(obj).__name__}: the history's revert form saves around the service"
    assert snapshot() == before


def check_no_bulk_paths(model_admin, user):
    request = admin_request(user)
    assert not model_admin.list_editable, "list editing saves without the form's version"
    for location in ActionLocation:
        actions = model_admin.get_actions(request, action_location=location)
        assert not actions, f"actions write around the change form: {sorted(actions)}"


def check_read_only(model_admin, case, obj, user, snapshot):
    before = snapshot()
    assert post(model_admin.add_view, user, case.change)[0] == 403
    data = form_data(model_admin, user, obj) | case.change
    assert post(model_admin.change_view, user, data, str(obj.pk))[0] == 403
    assert snapshot() == before


def check_add_through_service(model_admin, case, obj, user):
    model = type(obj)
    existing = set(model._base_manager.values_list("pk", flat=True))
    status, response = post(
        model_admin.add_view, user, form_data(model_admin, user, obj, change=False) | case.add | case.reason
    )
    assert status == 302, response.context_data["adminform"].form.errors if response else status
    [added] = model._base_manager.exclude(pk__in=existing)
    first = added.history.order_by("history_id").first()
    assert first.history_change_reason, f"{model.__name__} added in the admin without a history reason"
    assert (added.created_by, first.history_user) == (user, user)


def check_stale_form_refused(model_admin, case, obj, user, snapshot):
    model = type(obj)
    data = with_inline(form_data(model_admin, user, obj) | case.change, case)
    model._base_manager.get(pk=obj.pk).save()  # someone else saves meanwhile
    before = snapshot()
    status, response = post(model_admin.change_view, user, data, str(obj.pk))
    assert status == 200, f"{model.__name__}: a stale admin form was saved"
    assert "changed by someone else" in str(response.context_data["adminform"].form.errors)
    after = snapshot()
    # The page came back showing the record: a patient's record writes its access event, nothing else.
    events = "treatments.accessevent"
    assert after.pop(events)[0] - before.pop(events)[0] == (1 if model_admin.patient_attname else 0)
    assert after == before


def check_change_through_service(model_admin, case, obj, user):
    model = type(obj)
    obj = model._base_manager.get(pk=obj.pk)
    data = with_inline(form_data(model_admin, user, obj) | case.change, case)
    status, response = post(model_admin.change_view, user, data, str(obj.pk))
    assert status == 302, response.context_data["adminform"].form.errors if response else status
    saved = model._base_manager.get(pk=obj.pk)
    assert {name: _text(getattr(saved, name)) for name in case.change} == case.change
    row = last_history(saved)
    assert (row.history_type, row.history_user) == ("~", user)
    assert row.history_change_reason, f"{model.__name__} changed in the admin without a history reason"
    if case.inline:
        prefix, index, changes = case.inline
        step = getattr(saved, prefix).all()[index]
        assert {name: _text(getattr(step, name)) for name in changes} == changes
        assert last_history(step).history_change_reason, "an inline row saved without a history reason"


def check_inlines(model_admin, case, obj, user):
    request = admin_request(user)
    for inline in model_admin.get_inline_instances(request, obj):
        if not audited(inline.model):
            continue
        name = inline.model.__name__
        deletable = inline.can_delete and inline.has_delete_permission(request, obj)  # as the formset sees it
        assert not deletable, f"{name} rows can be deleted inline"
        if inline.has_add_permission(request, obj) or inline.has_change_permission(request, obj):
            assert case.inline, f"{name} is editable inline: save it through the parent's service"


def check_write_path(model_admin, case, obj, user, snapshot):
    """Everything the walk asks of one admin; raises AssertionError at the first way around."""
    request = admin_request(user)
    check_no_bulk_paths(model_admin, user)
    check_inlines(model_admin, case, obj, user)
    if not (model_admin.has_add_permission(request) or model_admin.has_change_permission(request, obj)):
        check_read_only(model_admin, case, obj, user, snapshot)
    else:
        if model_admin.has_add_permission(request):
            check_add_through_service(model_admin, case, obj, user)
        check_stale_form_refused(model_admin, case, obj, user, snapshot)
        check_change_through_service(model_admin, case, obj, user)
    check_no_revert(model_admin, case, obj, user, snapshot)


@pytest.mark.parametrize("model", walked(), ids=lambda model: model._meta.label)
def test_no_admin_changes_a_clinical_record_around_its_service(model, ctx, superuser, db_snapshot):
    assert model in CASES, f"{model._meta.label} has an admin and a history: add its case here"
    model_admin, case = admin.site._registry[model], CASES[model]
    if model in CONTENT:
        return check_content_edit_names_its_editor(model_admin, case, case.sample(ctx), superuser)
    check_write_path(model_admin, case, case.sample(ctx), superuser, db_snapshot)


def check_content_edit_names_its_editor(model_admin, case, obj, user):
    status, response = post(
        model_admin.change_view, user, form_data(model_admin, user, obj) | case.change, str(obj.pk)
    )
    assert status == 302, response.context_data["adminform"].form.errors if response else status
    assert last_history(type(obj).objects.get(pk=obj.pk)).history_user == user


def test_the_walk_covers_every_clinical_admin_and_only_content_is_spared():
    labels = {model._meta.label for model in walked()}
    assert {"treatments.Patient", "treatments.Lot", "treatments.SideEffectReport"} <= labels
    assert all(not issubclass(model, ClinicalRecord) and model._meta.app_label == "faq" for model in CONTENT)


# The walk fails for the admins it exists to catch -------------------------------------------------


def test_a_plain_model_admin_fails_the_walk(ctx, superuser, db_snapshot):
    plain = admin.ModelAdmin(Product, AdminSite())
    with pytest.raises(AssertionError):
        check_write_path(plain, CASES[Product], ctx.lot.product, superuser, db_snapshot)


class AttributedAdminMixin:
    """The products' admin before the services: a history reason, but no service and no version."""

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        attribute(obj, user=request.user, reason="Edited in the admin" if change else "Added in the admin")
        super().save_model(request, obj, form, change)


def test_an_admin_that_gives_a_reason_but_skips_the_service_fails_the_walk(ctx, superuser, db_snapshot):
    class OldProductAdmin(NoDeleteAdminMixin, AttributedAdminMixin, SimpleHistoryAdmin):
        pass

    old = OldProductAdmin(Product, AdminSite())
    with pytest.raises(AssertionError, match="stale admin form was saved"):
        check_write_path(old, CASES[Product], ctx.lot.product, superuser, db_snapshot)


def test_a_read_only_admin_that_still_reverts_fails_the_walk(ctx, superuser, db_snapshot):
    class OldReadOnly(NoDeleteAdminMixin, SimpleHistoryAdmin):
        def has_add_permission(self, request):
            return False

        def has_change_permission(self, request, obj=None):
            return False

    old = OldReadOnly(SideEffectReport, AdminSite())
    with pytest.raises(AssertionError, match="revert form saves around the service"):
        check_write_path(old, CASES[SideEffectReport], ctx.report, superuser, db_snapshot)
