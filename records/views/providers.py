"""Providers: not PHI (no facility scope), still behind model permissions."""

from __future__ import annotations

from django.urls import reverse

from him.views.base import PHICreateView, PHIDetailView, PHIListView, PHIUpdateView
from records.filters_chart import ProviderFilterSet
from records.forms_chart import ProviderForm
from records.models import Provider


class ProviderListView(PHIListView):
    model = Provider
    filterset_class = ProviderFilterSet
    template_name = "records/providers/list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("user")


class ProviderDetailView(PHIDetailView):
    model = Provider
    slug_field = "npi"
    slug_url_kwarg = "npi"
    template_name = "records/providers/detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("user")


class ProviderWriteMixin:
    model = Provider
    form_class = ProviderForm
    template_name = "records/chart/form.html"

    def get_success_url(self):
        return reverse("records:provider-detail", args=[self.object.npi])


class ProviderCreateView(ProviderWriteMixin, PHICreateView):
    success_message = "Provider added."

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "title": "Add a provider"}


class ProviderUpdateView(ProviderWriteMixin, PHIUpdateView):
    slug_field = "npi"
    slug_url_kwarg = "npi"
    success_message = "Provider updated."

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        data["title"] = f"Edit {self.object}"
        data["back_url"] = reverse("records:provider-detail", args=[self.object.npi])
        return data
