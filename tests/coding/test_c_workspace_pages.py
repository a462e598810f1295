"""The workspace pages: the codes beside the chart, the form without JavaScript, finalize, history."""

from __future__ import annotations

import datetime as dt

import pytest
from c_workspace_support import world
from django.urls import reverse

from coding.services import workspace as ws
from him.models import AccessEvent
from records.models import Document, DocumentVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return world()


def page(coding):
    return reverse("coding:workspace", kwargs={"public_id": coding.public_id})


def form(version="", **rows):
    data = {"version": version}
    for kind, values in rows.items():
        for i, row in enumerate(values):
            for k, v in row.items():
                data[f"{kind}-{i}-{k}"] = v
    return data


def test_encounter_entry_redirects_and_the_page_shows_chart_documents(w):
    coding = w.inpatient()
    encounter = coding.encounter
    doc = Document.objects.create(
        patient=encounter.patient,
        encounter=encounter,
        facility=encounter.facility,
        doc_type=Document.Type.choices[0][0],
        title="Discharge summary",
        service_date=dt.date(2026, 3, 10),
    )
    version = DocumentVersion.objects.create(document=doc, number=1, text="Pneumonia; hypoxic.")
    doc.current_version = version
    doc.save()
    client = w.client()
    entry = client.get(reverse("coding:encounter-coding", args=[encounter.public_id]))
    assert entry.status_code == 302 and entry["Location"] == page(coding)
    shown = client.get(page(coding) + f"?doc={doc.public_id}")
    assert shown.status_code == 200
    html = shown.content.decode()
    assert "Discharge summary" in html and "Pneumonia; hypoxic." in html
    assert 'data-code-search="icd10cm"' in html
    assert AccessEvent.objects.filter(object_type="records.document", action="read").exists()


def test_save_through_the_form_then_bad_input_comes_back_with_messages(w):
    coding = w.inpatient()
    client = w.client()
    version = ws.codes_version(coding)
    saved = client.post(
        page(coding),
        {
            "op": "save",
            **form(version, dx=[{"code": "J18.9", "poa": "Y"}, {"code": "J96.01", "poa": "Y"}]),
        },
    )
    assert saved.status_code == 302
    assert list(coding.diagnoses.values_list("code", flat=True)) == ["J189", "J9601"]
    shown = client.get(page(coding)).content.decode()
    assert "193" in shown and "ws-mcc" in shown

    bad = client.post(
        page(coding),
        {
            "op": "save",
            **form(
                ws.codes_version(coding),
                dx=[{"code": "J18.9", "poa": "Y"}, {"code": "NOTACODE", "poa": "Y"}],
                px=[{"code": "0BH17EZ", "performed_on": "2030-01-01", "provider": ""}],
            ),
        },
    )
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "NOTACODE" in html and "is not an ICD-10-CM diagnosis code" in html
    assert "outside the encounter" in html
    assert list(coding.diagnoses.values_list("code", flat=True)) == ["J189", "J9601"]


def test_moves_without_javascript_keep_unsaved_input(w):
    coding = w.inpatient()
    client = w.client()
    moved = client.post(
        page(coding),
        {
            "op": "principal:dx:2",
            **form(dx=[{"code": "I10", "poa": "Y"}, {"code": "J18.9", "poa": "N"}]),
        },
    )
    assert moved.status_code == 200
    rows = moved.context["rows"]["dx"]
    assert [(r["values"]["code"], r["values"]["poa"]) for r in rows] == [
        ("J18.9", "N"),
        ("I10", "Y"),
    ]
    added = client.post(page(coding), {"op": "add-px", **form(dx=[{"code": "J18.9", "poa": "Y"}])})
    assert len(added.context["rows"]["px"]) == 1
    assert coding.diagnoses.count() == 0


def test_finalize_reopen_and_history_pages(w):
    coding = w.inpatient()
    client = w.client()
    client.post(page(coding), {"op": "save", **form(dx=[{"code": "J18.9", "poa": "Y"}])})
    done = client.post(reverse("coding:workspace-finalize", args=[coding.public_id]), follow=True)
    assert "Codes finalized." in done.content.decode()
    coding.refresh_from_db()
    assert coding.status == "final" and coding.final_drg == "195"
    reopen_url = reverse("coding:workspace-reopen", args=[coding.public_id])
    refused = client.post(reopen_url, {"reason": ""})
    assert refused.status_code == 400 and "Say why" in refused.content.decode()
    client.post(reopen_url, {"reason": "Coding audit found a missed MCC"})
    coding.refresh_from_db()
    assert coding.status == "draft"
    history = client.get(reverse("coding:workspace-history", args=[coding.public_id]))
    html = history.content.decode()
    assert "Coding audit found a missed MCC" in html and "coder1" in html and "J18.9" in html


def test_out_of_scope_404_and_read_only_role(w):
    elsewhere = w.inpatient(facility=w.other)
    client = w.client()
    assert client.get(page(elsewhere)).status_code == 404
    assert (
        client.get(
            reverse("coding:encounter-coding", args=[elsewhere.encounter.public_id])
        ).status_code
        == 404
    )
    coding = w.inpatient()
    odd = client.get(page(coding) + "?doc=not-a-uuid")
    assert odd.status_code == 200 and "outside your access" in odd.content.decode()
    auditor = w.client(w.auditor)
    shown = auditor.get(page(coding))
    assert shown.status_code == 200 and "Save draft" not in shown.content.decode()
    assert auditor.post(page(coding), {"op": "save"}).status_code == 403
