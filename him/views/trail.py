"""The privacy officer's trail viewer: filter, sort, page, export CSV."""

from __future__ import annotations

import csv

from django.http import StreamingHttpResponse
from django.utils import timezone

from him import patients, trail
from him.filters import AccessEventFilterSet
from him.models import AccessEvent
from him.reports import safe_text
from him.views.base import PHIListView

CSV_COLUMNS = list(trail.EXPORT_FIELDS)


class AccessEventListView(PHIListView):
    model = AccessEvent
    filterset_class = AccessEventFilterSet
    template_name = "him/trail_list.html"
    paginate_by = 100

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        data["query"] = query.urlencode()
        names = patients.labels(e.patient_id for e in data["object_list"])
        for event in data["object_list"]:
            event.patient_label = names.get(event.patient_id, event.patient_id or "")
        return data


class _Echo:
    def write(self, value):
        return value


class AccessEventExportView(PHIListView):
    """CSV of the filtered trail; the export is itself a trail row."""

    model = AccessEvent
    filterset_class = AccessEventFilterSet
    policy_action = "export"

    def get(self, request, *args, **kwargs):
        queryset = self.get_queryset()
        if self.filterset is not None and self.filterset.is_bound and not self.filterset.is_valid():
            queryset = queryset.none()
        criteria = {k: [v for v in vs if v] for k, vs in request.GET.lists() if any(vs)}
        trail.record(
            trail.Action.EXPORT,
            object_type="him.accessevent",
            detail={"criteria": criteria, "rows": queryset.count(), "format": "csv"},
        )
        writer = csv.writer(_Echo())

        def rows():
            yield writer.writerow(CSV_COLUMNS)
            for event in queryset.values_list(*CSV_COLUMNS).iterator(chunk_size=2000):
                values = list(event)
                values[1] = values[1].isoformat()
                yield writer.writerow([safe_text(v) if isinstance(v, str) else v for v in values])

        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response = StreamingHttpResponse(rows(), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="access-trail-{stamp}.csv"'
        return response
