"""Report runs on the web: my runs with live progress, request a run, poll, download."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from him import report_services, reports
from him.models import ReportRun
from him.views.base import ObjectMixin, PHIListView, PolicyMixin


def run_status(run: ReportRun) -> dict:
    """What the progress bar polls (him.js reads these keys)."""
    done = run.status == ReportRun.Status.DONE
    return {
        "id": str(run.public_id),
        "status": run.status,
        "status_display": run.get_status_display(),
        "progress": run.progress,
        "error": run.error,
        "row_count": run.row_count,
        "download_url": (
            reverse("reports:reportrun-download", args=[run.public_id]) if done else None
        ),
    }


def describe(run: ReportRun) -> tuple[str, str]:
    """(title, parameters as text) for a run, even if its report was uninstalled."""
    try:
        report = reports.get(run.report_key)
    except reports.ReportError:
        return run.report_key, ", ".join(f"{k}: {v}" for k, v in run.parameters.items() if v)
    text = "; ".join(
        f"{label}: {value}" for label, value in report.describe_parameters(run.parameters)
    )
    return report.title, text


class ReportRunListView(PHIListView):
    """My runs, newest first; pending rows refresh themselves (him.js)."""

    model = ReportRun
    template_name = "him/reportrun_list.html"
    paginate_by = 25

    def get_queryset(self):
        return super().get_queryset().order_by("-created_at", "-pk")

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        for run in data["object_list"]:
            run.report_title, run.parameters_text = describe(run)
        data["can_run"] = bool(reports.available_to(self.request.user))
        return data


class RunOptionsForm(forms.Form):
    output_format = forms.ChoiceField(label="Output format")

    def __init__(self, *args, report: reports.Report, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["output_format"].choices = report.format_choices()
        self.fields["output_format"].initial = report.formats[0]


class ReportRunCreateView(PolicyMixin, View):
    """Choose a report, fill in its parameters, choose a format; the run is queued."""

    model = ReportRun
    policy_action = "add"
    template_name = "him/reportrun_form.html"

    def _report(self) -> reports.Report | None:
        key = self.request.POST.get("report") or self.request.GET.get("report")
        if not key:
            return None
        try:
            report = reports.get(key)
        except reports.ReportError:
            raise Http404("No such report.") from None
        if not report.available_to(self.request.user):
            raise Http404("No such report, or your role cannot run it.")
        return report

    def get(self, request):
        report = self._report()
        if report is None:
            return render(
                request,
                self.template_name,
                {"available": reports.available_to(request.user), "report": None},
            )
        return self._render(report, report.get_form(), RunOptionsForm(report=report))

    def post(self, request):
        report = self._report()
        if report is None:
            messages.error(request, "Choose a report first.")
            return redirect("reports:reportrun-add")
        form = report.get_form(request.POST)
        options = RunOptionsForm(request.POST, report=report)
        if form.is_valid() and options.is_valid():
            try:
                run = report_services.report_run_request(
                    user=request.user,
                    report_key=report.key,
                    parameters=request.POST,
                    output_format=options.cleaned_data["output_format"],
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    target = options if field == "output_format" else form
                    for error in errors:
                        target.add_error(None if field == "__all__" else field, error)
            except reports.ReportError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, f"{report.title} is queued; this page shows its progress."
                )
                return redirect(f"{reverse('reports:reportrun-list')}#run-{run.public_id}")
        return self._render(report, form, options, status=400)

    def _render(self, report, form, options, status: int = 200):
        return render(
            self.request,
            self.template_name,
            {"report": report, "form": form, "options": options},
            status=status,
        )


class _RunMixin(ObjectMixin):
    model = ReportRun
    policy_action = "view"
    slug_field = "public_id"
    slug_url_kwarg = "public_id"


class ReportRunStatusView(_RunMixin, View):
    """JSON for the progress bar. Not a trail row per poll: no PHI is shown."""

    def get(self, request, public_id):
        try:
            run = self.get_object()
        except Http404:
            return JsonResponse(
                {"error": {"status": 404, "message": "No such report run."}}, status=404
            )
        return JsonResponse(run_status(run))


class ReportRunDownloadView(_RunMixin, View):
    """The output, for the person who asked for it, while their role still allows
    the report; each download is an export in the trail."""

    def get(self, request, public_id):
        run = self.get_object()
        try:
            handle = report_services.report_run_download(run=run, user=request.user)
        except report_services.DownloadRefused as exc:
            raise PermissionDenied(str(exc)) from None
        except reports.ReportError as exc:
            return render(
                request,
                "him/error.html",
                {"title": "Output not available", "message": str(exc)},
                status=404,
            )
        return FileResponse(
            handle,
            as_attachment=True,
            filename=run.output_name or report_services.download_filename(run),
            content_type=reports.CONTENT_TYPES.get(run.output_format, "application/octet-stream"),
        )
