"""Lot pages: the stock list, a lot with its recall list, receiving and editing, recall and its CSV."""

import datetime as dt

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.functional import cached_property
from django.views import View
from django.views.generic import CreateView, DetailView, FormView, ListView, UpdateView

from clinic.mixins import RolePermissionMixin, ServiceFormMixin, apply_service
from clinic.writers import csv_response
from treatments.filters.lots import LotFilter
from treatments.forms.lots import LotForm
from treatments.forms.treatments import ReasonForm
from treatments.models import AccessEvent, Lot, LotStatus
from treatments.selectors.lots import (
    lot_list,
    lot_recall_csv,
    lot_recall_csv_filename,
    lot_recall_list,
    lot_recall_patient_ids,
    lots_for_page,
)
from treatments.services.access import access_record_many
from treatments.services.lots import lot_recall, lot_save

EXPIRY_WARNING_DAYS = 30


class ExpiryContextMixin:
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        context["today"] = today
        context["expiry_warning_day"] = today + dt.timedelta(days=EXPIRY_WARNING_DAYS)
        return context


class LotListView(RolePermissionMixin, ExpiryContextMixin, ListView):
    permission_required = "treatments.view_lot"
    template_name = "treatments/lot_list.html"
    context_object_name = "lots"
    paginate_by = 50

    def get_queryset(self):
        self.filters = LotFilter(self.request.GET)
        return lot_list(filters=self.filters)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["status"] = self.filters.chosen_status
        context["statuses"] = LotStatus.choices
        return context


class LotDetailView(RolePermissionMixin, ExpiryContextMixin, DetailView):
    permission_required = "treatments.view_lot"
    template_name = "treatments/lot_detail.html"
    context_object_name = "lot"

    def get_queryset(self):
        return lots_for_page()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        try:
            page = int(self.request.GET.get("page", 1))
        except ValueError:
            page = 1
        context.update(
            lot_recall_list(lot=self.object, with_names=user.has_perm("treatments.view_patient"), page=page),
            can_change=user.has_perm("treatments.change_lot"),
            can_recall=self.object.status != LotStatus.RECALLED and user.has_perm("treatments.recall_lot"),
            can_open_treatments=user.has_perm("treatments.view_treatment"),
        )
        return context


class LotWriteMixin(ServiceFormMixin):
    template_name = "treatments/lot_form.html"
    form_class = LotForm

    def perform(self, form):
        return lot_save(
            lot=form.instance, user=self.request.user, expected_version=form.cleaned_data.get("version")
        )

    def get_success_url(self):
        return self.object.get_absolute_url()


class LotCreateView(RolePermissionMixin, LotWriteMixin, CreateView):
    permission_required = "treatments.add_lot"
    success_message = "Lot received. Release it once its certificate of analysis is checked."

    def get_initial(self):
        return {"received_on": timezone.localdate(), "status": LotStatus.QUARANTINE}


class LotUpdateView(RolePermissionMixin, LotWriteMixin, UpdateView):
    permission_required = "treatments.change_lot"
    success_message = "Lot saved."

    def get_queryset(self):
        return Lot.objects.active()


class LotRecallView(RolePermissionMixin, FormView):
    """GET asks for the reason; only POST recalls."""

    permission_required = "treatments.recall_lot"
    form_class = ReasonForm
    template_name = "treatments/lot_recall.html"

    @cached_property
    def lot(self):
        return get_object_or_404(Lot.objects.active().select_related("product"), pk=self.kwargs["pk"])

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(
            label="Reason for the recall",
            help_text="Required. Shown on the lot and on the page of every patient who received it.",
        )
        return kwargs

    def get_initial(self):
        return {"version": self.lot.version}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["lot"] = self.lot
        context["patient_count"] = self.lot.patient_count  # kept with the lot's balance, not counted
        return context

    def form_valid(self, form):
        def recall():
            lot_recall(
                lot=self.lot,
                user=self.request.user,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data.get("version"),
            )

        if not apply_service(form, recall):
            return self.form_invalid(form)
        messages.warning(
            self.request,
            f"Lot {self.lot.lot_number} recalled: it can no longer be administered. Every patient who "
            "received it is listed below and flagged on their page.",
        )
        return redirect(self.lot.get_absolute_url())


class LotRecallCsvView(RolePermissionMixin, View):
    """The recall list as CSV, streamed row by row. Each patient listed gets an export access event."""

    permission_required = "treatments.view_lot"

    def get(self, request, pk):
        lot = get_object_or_404(Lot, pk=pk)
        with_names = request.user.has_perm("treatments.view_patient")
        access_record_many(
            user=request.user, patient_ids=lot_recall_patient_ids(lot=lot), action=AccessEvent.Action.EXPORT
        )
        return csv_response(
            lot_recall_csv(lot=lot, with_names=with_names), filename=lot_recall_csv_filename(lot=lot)
        )
