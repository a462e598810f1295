"""Pages of the coding workspace: the codes of one encounter beside its chart.

The form works without JavaScript: moving, adding or removing a line re-shows
the page with the change (not yet saved); "Save draft" writes; validate and
group run on what is on screen. The script (``coding/workspace/workspace.js``)
only adds live validate and what-if through the API.
"""

from __future__ import annotations

import re
from dataclasses import replace

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from coding.models import CodeSystem, DiagnosisLine, EncounterCoding
from coding.services import grouping
from coding.services import workspace as ws
from coding.workspace_access import coding_by_encounter, coding_by_public_id
from him import policy, trail
from records.models import Document

TEMPLATE = "coding/workspace/workspace.html"
_MAX_ROWS = 200
_ROW = re.compile(r"^(dx|px|svc)-(\d{1,3})-(\w+)$")
_FIELDS = {
    "dx": ("code", "poa"),
    "px": ("code", "performed_on", "provider"),
    "svc": ("code", "modifiers", "units", "pointers", "service_date", "provider"),
}


def input_from_post(post) -> ws.CodesInput:
    """The rows of the posted form, in index order (what the coder typed, untouched)."""
    rows: dict[str, dict[int, dict]] = {"dx": {}, "px": {}, "svc": {}}
    for key in post:
        match = _ROW.match(key)
        if not match:
            continue
        kind, index, name = match.group(1), int(match.group(2)), match.group(3)
        if name in _FIELDS[kind] and index < _MAX_ROWS:
            rows[kind].setdefault(index, {})[name] = post.get(key, "")

    def ordered(kind):
        return [{f: rows[kind][i].get(f, "") for f in _FIELDS[kind]} for i in sorted(rows[kind])]

    return ws.CodesInput(
        diagnoses=ordered("dx"),
        procedures=ordered("px"),
        services=ordered("svc"),
        admitting_dx=post.get("admitting_dx", "").strip(),
        reason_for_visit=post.get("reason_for_visit", "").strip(),
        version=post.get("version", "").strip(),
    )


class _Base(LoginRequiredMixin, View):
    raise_exception = False

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and policy.needs_second_factor(request.user):
            from him.views.base import redirect_to_second_factor

            return redirect_to_second_factor(request)
        return super().dispatch(request, *args, **kwargs)


class EncounterCodingView(_Base):
    """From an encounter to its coding workspace (created on first use)."""

    def get(self, request, public_id):
        coding = coding_by_encounter(request.user, public_id)
        return redirect("coding:workspace", public_id=coding.public_id)


def _documents(user, coding: EncounterCoding):
    encounter = coding.encounter
    return list(
        Document.objects.visible_to(user, "view")
        .filter(patient_id=encounter.patient_id, encounter_id=encounter.pk)
        .select_related("current_version")
        .order_by("-service_date", "title")[:200]
    )


def _rows(data: ws.CodesInput, errors: dict, edits: list, result: dict | None):
    """Rows for the template: each line with its field errors, its edits and its CC/MCC role."""
    by_line: dict[str, list] = {}
    for edit in edits:
        by_line.setdefault(edit.line, []).append(edit)
    roles = {}
    if result:
        for s in result.get("secondary", []):
            roles[s["sequence"]] = "excluded" if s["excluded"] else s["acts_as"]
    out = {}
    for kind, key in (("dx", "diagnoses"), ("px", "procedures"), ("svc", "services")):
        rows = []
        for i, row in enumerate(getattr(data, key), start=1):
            field_errors = {name: errors.get(f"{key}.{i}.{name}", []) for name in _FIELDS[kind]}
            rows.append(
                {
                    "n": i,
                    "index": i - 1,
                    "values": row,
                    "errors": field_errors,
                    "has_errors": any(field_errors.values()),
                    "edits": by_line.get(f"{kind}:{i}", []),
                    "role": roles.get(i, "") if kind == "dx" and i > 1 else "",
                }
            )
        out[kind] = rows
    return out, by_line.get("", [])


class WorkspaceView(_Base):
    def get_coding(self, action="view") -> EncounterCoding:
        return coding_by_public_id(self.request.user, self.kwargs["public_id"], action)

    def get(self, request, public_id):
        coding = self.get_coding()
        data = ws.input_of(coding)
        trail.record(trail.Action.READ, obj=coding)
        return self.show(coding, data, check=True, saved=True)

    def post(self, request, public_id):
        coding = self.get_coding("change")
        data = input_from_post(request.POST)
        op = request.POST.get("op", "save")
        errors: dict = {}
        notice = ""
        check = op in ("validate", "group", "save")
        if op.startswith("add-"):
            kind = op[4:]
            if kind in ws.KINDS:
                empty = dict.fromkeys(_FIELDS[kind], "")
                rows = [*getattr(data, ws.KINDS[kind]), empty]
                data = replace(data, **{ws.KINDS[kind]: rows})
            notice = "Line added: fill it in and save."
        elif ":" in op:
            move, _, rest = op.partition(":")
            kind, _, index = rest.partition(":")
            if kind in ws.KINDS and index.isdigit():
                try:
                    data = ws.resequence(data, kind=kind, index=int(index), op=move)
                    notice = "Moved. Not saved yet: save the draft to keep it."
                except ws.WorkspaceError as exc:
                    errors["__all__"] = [str(exc)]
        elif op == "save":
            try:
                coding = ws.encounter_coding_save(coding=coding, data=data, user=request.user)
            except ws.InputErrors as exc:
                errors = exc.errors
                check = False
            except ws.WorkspaceError as exc:
                errors = {"__all__": [str(exc)]}
                check = False
            else:
                messages.success(request, "Draft saved.")
                return redirect("coding:workspace", public_id=coding.public_id)
        trail.record(trail.Action.READ, obj=coding, detail={"op": op[:40]})
        return self.show(coding, data, errors=errors, check=check, notice=notice)

    def show(self, coding, data, *, errors=None, check=False, saved=False, notice=""):
        request = self.request
        errors = dict(errors or {})
        edits: list = []
        result = None
        group_problem = ""
        if check:
            try:
                parsed = ws.parse_input(coding, data)
            except ws.InputErrors as exc:
                errors.update(exc.errors)
            else:
                claim = ws.claim_with(coding, parsed)
                edits = ws.encounter_coding_validate(coding=coding, claim=claim)
                if claim.inpatient and claim.principal is not None:
                    try:
                        result = grouping.group(claim)
                        result["what_if"] = grouping.suggested_what_ifs(claim, result)
                    except grouping.GroupingError as exc:
                        group_problem = str(exc)
        rows, claim_edits = _rows(data, errors, edits, result)
        can_change = policy.has_model_permission(request.user, EncounterCoding, "change")
        doc = self._viewer(coding)
        context = {
            "coding": coding,
            "encounter": coding.encounter,
            "patient": coding.encounter.patient,
            "inpatient": coding.encounter.encounter_class == "inpatient",
            "data": data,
            "rows": rows,
            "errors": errors,
            "general_errors": errors.get("__all__", [])
            + [m for k in ("diagnoses", "procedures", "services") for m in errors.get(k, [])],
            "admitting_errors": errors.get("admitting_dx", []),
            "reason_errors": errors.get("reason_for_visit", []),
            "claim_edits": claim_edits,
            "edits": edits,
            "blocking": sum(1 for e in edits if e.blocks),
            "result": result,
            "group_problem": group_problem,
            "checked": check and not any(k for k in errors),
            "saved": saved,
            "notice": notice,
            "poa_choices": DiagnosisLine.POA.choices,
            "editable": can_change and not coding.is_final,
            "can_finalize": request.user.has_perm("coding.finalize_encountercoding"),
            "documents": _documents(request.user, coding),
            "doc": doc,
            "systems": {
                "dx": CodeSystem.ICD10CM.value,
                "px": CodeSystem.ICD10PCS.value,
            },
            "api_base": reverse("coding-api:encounter-codes", args=[coding.encounter.public_id]),
            "tab": "codes",
        }
        status = 400 if errors and request.method == "POST" else 200
        return render(request, TEMPLATE, context, status=status)

    def _viewer(self, coding):
        """The document chosen for the viewer pane (through the policy; its read is trailed)."""
        key = self.request.GET.get("doc", "")
        if not key:
            return None
        try:
            document = (
                Document.objects.visible_to(self.request.user, "view")
                .select_related("current_version")
                .filter(public_id=key, encounter_id=coding.encounter_id)
                .first()
            )
        except (ValueError, ValidationError):  # a malformed id: a document that is not there
            document = None
        if document is None:
            trail.record(
                trail.Action.READ,
                object_type="records.document",
                object_id=key[:64],
                outcome=trail.Outcome.NOT_FOUND,
            )
            return {"missing": True}
        version = document.current_version
        trail.record(
            trail.Action.READ,
            obj=document,
            detail={"version": version.number if version else None, "via": "coding workspace"},
        )
        return {"document": document, "version": version, "text": version.text if version else ""}


class FinalizeView(_Base):
    def post(self, request, public_id):
        coding = coding_by_public_id(request.user, public_id, "change")
        try:
            ws.encounter_coding_finalize(
                coding=coding, user=request.user, version=request.POST.get("version", "")
            )
        except PermissionDenied:
            raise
        except ws.FinalizeBlocked as exc:
            messages.error(request, "Not finalized. Fix these first:")
            for edit in exc.edits:
                messages.error(request, f"{edit.id}: {edit.message}")
            for problem in exc.problems:
                messages.error(request, problem)
            if exc.grouping_problem:
                messages.error(request, exc.grouping_problem)
        except ws.WorkspaceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Codes finalized.")
        return redirect("coding:workspace", public_id=coding.public_id)


class ReopenView(_Base):
    template_name = "coding/workspace/reopen.html"

    def get(self, request, public_id):
        coding = coding_by_public_id(request.user, public_id, "change")
        if not request.user.has_perm("coding.finalize_encountercoding"):
            raise PermissionDenied("Your role may not reopen final codes.")
        trail.record(trail.Action.READ, obj=coding)
        return render(request, self.template_name, {"coding": coding, "reason": ""})

    def post(self, request, public_id):
        coding = coding_by_public_id(request.user, public_id, "change")
        reason = request.POST.get("reason", "")
        try:
            ws.encounter_coding_reopen(coding=coding, user=request.user, reason=reason)
        except ws.InputErrors as exc:
            return render(
                request,
                self.template_name,
                {"coding": coding, "reason": reason, "error": exc.errors["reason"][0]},
                status=400,
            )
        except ws.WorkspaceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Codes reopened for changes.")
        return redirect("coding:workspace", public_id=coding.public_id)


class HistoryView(_Base):
    def get(self, request, public_id):
        coding = coding_by_public_id(request.user, public_id)
        trail.record(trail.Action.READ, obj=coding, detail={"op": "history"})
        return render(
            request,
            "coding/workspace/history.html",
            {
                "coding": coding,
                "encounter": coding.encounter,
                "patient": coding.encounter.patient,
                "entries": ws.history(coding),
                "tab": "history",
            },
        )
