"""Pages of the edit engine: the catalog, and a what-would-fail checker.

The checker validates codes typed into a form (nothing is saved and no patient
row is read), the same as ``POST /api/v1/coding/validate/``.
"""

from __future__ import annotations

from django.views import generic

from coding import edits as engine
from coding.api.edits import ValidateSerializer, string_keys
from coding.edits.catalog import entries
from coding.models import Code
from him.views.base import PolicyMixin

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


class EditCatalogView(PolicyMixin, generic.TemplateView):
    model = Code
    policy_action = "view"
    template_name = "coding/edits/catalog.html"

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        area = self.request.GET.get("area", "")
        severity = self.request.GET.get("severity", "")
        rows = [
            e
            for e in entries()
            if (not area or e["area"] == area) and (not severity or e["severity"] == severity)
        ]
        data.update(
            rows=rows,
            area=area,
            severity=severity,
            areas=["diagnosis", "procedure", "service", "claim"],
            severities=list(SEVERITY_ORDER),
        )
        return data


def _lines(text: str) -> list[list[str]]:
    return [line.replace(",", " ").split() for line in text.splitlines() if line.strip()]


def payload_from_form(post) -> dict:
    """The validate API's JSON from the checker's form fields."""
    data = {
        "encounter_class": post.get("encounter_class") or "inpatient",
        "discharge_date": post.get("discharge_date") or None,
        "sex": post.get("sex") or "U",
        "age": post.get("age") or None,
        "disposition": post.get("disposition", "01"),
        "diagnoses": [],
        "procedures": [],
        "services": [],
    }
    for parts in _lines(post.get("diagnoses", "")):
        data["diagnoses"].append({"code": parts[0], "poa": parts[1] if len(parts) > 1 else ""})
    for parts in _lines(post.get("procedures", "")):
        data["procedures"].append({"code": parts[0]})
    for raw in post.get("services", "").splitlines():
        # "CODE [mod mod] [xUNITS] [>1 2]": modifiers, units after x, pointers after >.
        head, _, pointers = raw.partition(">")
        parts = head.replace(",", " ").split()
        if not parts:
            continue
        units = next((p[1:] for p in parts[1:] if p.lower().startswith("x")), "1")
        mods = [p for p in parts[1:] if not p.lower().startswith("x")]
        data["services"].append(
            {
                "code": parts[0],
                "modifiers": mods,
                "units": units,
                "pointers": pointers.replace(",", " ").split(),
            }
        )
    return data


class EditCheckView(PolicyMixin, generic.TemplateView):
    """Type codes, see which edits would fire. Nothing is saved."""

    model = Code
    policy_action = "view"
    template_name = "coding/edits/check.html"

    def post(self, request, *args, **kwargs):
        serializer = ValidateSerializer(data=payload_from_form(request.POST))
        context = self.get_context_data(form=request.POST)
        if serializer.is_valid():
            found = engine.run(serializer.claim())
            context.update(edits=found, checked=True, blocking=sum(e.blocks for e in found))
        else:
            context["errors"] = _flatten(string_keys(serializer.errors))
        return self.render_to_response(context)

    def get_context_data(self, **kwargs):
        data = super().get_context_data(**kwargs)
        data.setdefault("form", {})
        data["classes"] = ["inpatient", "outpatient", "emergency", "observation"]
        return data


def _flatten(errors, prefix: str = "") -> list[str]:
    out: list[str] = []
    if isinstance(errors, dict):
        for key, value in errors.items():
            label = f"line {key}" if key.isdigit() else key.replace("_", " ")
            out += _flatten(value, f"{prefix}{label}: " if key != "non_field_errors" else prefix)
    elif isinstance(errors, list):
        for value in errors:
            if isinstance(value, dict | list) and value:
                out += _flatten(value, prefix)
            elif value:
                out.append(f"{prefix}{value}")
    else:
        out.append(f"{prefix}{errors}")
    return out
