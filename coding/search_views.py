"""Screens of the code search part: search, code detail, tabular browser.

Code sets are reference data: no facility scope and no trail on read, but the
screens still need a signed-in user whose role holds ``coding.view_code``
(``PolicyMixin`` sends anonymous users to sign in and answers 403 otherwise).
"""

from __future__ import annotations

import datetime as dt

from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.utils import timezone
from django.views import generic

from coding.models import Code, CodeSet, CodeSystem
from coding.services.search import SEARCHABLE, SearchError, code_sets_in_force, search_codes
from coding.services.search_detail import CodeNotFound, code_detail
from him.views.base import PolicyMixin

SYSTEM_CHOICES = [(s.value, s.label) for s in CodeSystem if s.value in SEARCHABLE]
BROWSE_PAGE = 100


def _date(value: str | None) -> tuple[dt.date, str]:
    """The date asked for (default today) and a message when it could not be read."""
    if not value:
        return timezone.localdate(), ""
    try:
        return dt.date.fromisoformat(value.strip()), ""
    except ValueError:
        return (
            timezone.localdate(),
            f"{value!r} is not a date (YYYY-MM-DD); today's codes are shown.",
        )


class _CodeSetView(PolicyMixin, generic.TemplateView):
    model = Code


class CodeSearchPageView(_CodeSetView):
    template_name = "coding/search/search.html"

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        params = self.request.GET
        q = params.get("q", "").strip()
        system = params.get("system", "")
        on, date_error = _date(params.get("on"))
        billable = params.get("billable") in ("1", "on", "true")
        errors = [date_error] if date_error else []
        hits = None
        if system and system not in SEARCHABLE:
            errors.append(f"Unknown code system {system!r}; all systems are searched.")
            system = ""
        if q:
            try:
                hits = search_codes(
                    q, system=system or None, on=on, billable_only=billable, limit=50
                )
            except SearchError as error:
                errors.append(str(error))
        data.update(
            q=q,
            system=system,
            on=on,
            on_text=params.get("on", "") if not date_error else "",
            billable=billable,
            hits=hits,
            errors=errors,
            systems=SYSTEM_CHOICES,
            in_force=code_sets_in_force(system or None, on),
        )
        return data


class CodeDetailPageView(_CodeSetView):
    template_name = "coding/search/detail.html"

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        on, date_error = _date(self.request.GET.get("on"))
        try:
            detail = code_detail(self.kwargs["system"], self.kwargs["code"], on=on)
        except (CodeNotFound, SearchError):
            raise Http404("No such code in the code sets loaded.") from None
        data.update(detail=detail, code=detail.code, errors=[date_error] if date_error else [])
        return data


class CodeBrowserView(_CodeSetView):
    """The tabular list: chapters, then a node's children, a page at a time."""

    template_name = "coding/search/browser.html"

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        system = self.kwargs.get("system") or CodeSystem.ICD10CM
        if system not in SEARCHABLE:
            raise Http404("No such code system.")
        on, date_error = _date(self.request.GET.get("on"))
        code_set = CodeSet.for_date(system, on)
        node, ancestors, rows, page = None, [], [], None
        if code_set is not None:
            if self.kwargs.get("code"):
                key = self.kwargs["code"].replace(".", "").upper()
                node = Code.objects.filter(code_set=code_set, code=key).first()
                if node is None:
                    raise Http404("No such code in this code set.")
                parent_id = node.parent_id
                while parent_id and len(ancestors) < 12:
                    parent = Code.objects.get(pk=parent_id)
                    ancestors.insert(0, parent)
                    parent_id = parent.parent_id
                children = Code.objects.filter(code_set=code_set, parent=node)
            else:
                children = Code.objects.filter(code_set=code_set, parent__isnull=True)
            paginator = Paginator(children.order_by("position", "code"), BROWSE_PAGE)
            page = paginator.get_page(self.request.GET.get("page"))
            rows = list(page.object_list)
            counts = dict(
                Code.objects.filter(parent_id__in=[r.pk for r in rows])
                .values("parent_id")
                .annotate(n=Count("id"))
                .values_list("parent_id", "n")
            )
            for row in rows:
                row.child_count = counts.get(row.pk, 0)
        data.update(
            system=system,
            system_label=CodeSystem(system).label,
            systems=SYSTEM_CHOICES,
            code_set=code_set,
            node=node,
            ancestors=ancestors,
            rows=rows,
            page_obj=page,
            is_paginated=bool(page and page.paginator.num_pages > 1),
            on=on,
            query=f"on={on.isoformat()}",
            errors=[date_error] if date_error else [],
        )
        return data
