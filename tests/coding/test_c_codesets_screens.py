"""The Code sets page, the import form, the API and the load_codesets command."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from c_codesets_support import CPT_TAB, HCPCS_FIXED, MUE, NCCI_PTP, request
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from coding.models import Code, CodeSet, CodeSetImport, CodeSystem, MueLimit, NcciPair
from coding.services import codesets
from him import roles
from him.models import AccessEvent
from him.testing.factories import UserFactory
from him.testing.personas import api_client, web_client

pytestmark = pytest.mark.django_db

LIST = "coding:codeset-list"
IMPORT = "coding:codeset-import"


@pytest.fixture
def coder(personas):
    return UserFactory(username="coder1", roles=[roles.CODER], facilities=[personas.facility])


@pytest.fixture
def manager(personas):
    return personas.privileged(roles.HIM_MANAGER)


@pytest.fixture
def loaded(db):
    (cpt,) = codesets.run_import("cpt", request(CPT_TAB, "LONGULT.txt"))
    return cpt


def upload(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/plain")


def test_list_page_shows_versions_and_nav(coder, loaded):
    client = web_client(coder)
    page = client.get(reverse(LIST))
    assert page.status_code == 200
    body = page.content.decode()
    assert "CPT" in body and "LONGULT.txt" in body and loaded.source_sha256[:12] in body
    assert reverse(LIST) in client.get(reverse("him:home")).content.decode()
    assert reverse(IMPORT) not in body  # a coder cannot import
    detail = client.get(reverse("coding:codeset-detail", args=[loaded.pk]))
    assert detail.status_code == 200 and loaded.source_sha256 in detail.content.decode()
    assert client.get(reverse("coding:codeset-detail", args=[99999])).status_code == 404


def test_coder_may_not_import(coder):
    client = web_client(coder)
    assert client.get(reverse(IMPORT)).status_code == 403
    response = client.post(
        reverse(IMPORT),
        {
            "kind": "cpt",
            "file": upload("c.txt", CPT_TAB),
            "version": "2026",
            "effective_from": "2026-01-01",
        },
    )
    assert response.status_code == 403
    assert not CodeSet.objects.exists()
    assert AccessEvent.objects.filter(action="denied", object_type="coding.codeset").exists()


def test_manager_imports_a_file(manager, eager, django_capture_on_commit_callbacks):
    client = web_client(manager)
    assert reverse(IMPORT) in client.get(reverse(LIST)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse(IMPORT),
            {
                "kind": "ncci_ptp",
                "file": upload("ccipra.txt", NCCI_PTP),
                "version": "2026Q1",
                "effective_from": "2026-01-01",
                "effective_to": "2026-03-31",
                "setting": "practitioner",
            },
        )
    job = CodeSetImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("coding:codeset-import-status", args=[job.public_id])
    page = client.get(response["Location"]).content.decode()
    assert "Loaded" in page and "3 items loaded from ccipra.txt" in page
    assert 'http-equiv="refresh"' not in page  # done: the page stops refreshing
    cs = CodeSet.objects.get(system=CodeSystem.NCCI_PTP)
    assert (
        cs.effective_to == dt.date(2026, 3, 31)
        and NcciPair.objects.filter(code_set=cs).count() == 3
    )
    event = AccessEvent.objects.get(
        action="create", object_type="coding.codeset", object_id=str(cs.pk)
    )
    assert event.username == manager.username and "ccipra.txt" in str(event.detail)
    job.refresh_from_db()
    assert job.status == CodeSetImport.Status.DONE and not job.file  # the upload is not kept
    assert (job.sha256, job.size) == (codesets.sha256_of(NCCI_PTP.encode()), len(NCCI_PTP))
    assert cs.source_sha256 == job.sha256  # the version records the file it came from
    assert "ccipra.txt" in client.get(reverse(LIST)).content.decode()  # recent imports


def test_a_waiting_import_page_refreshes_itself_and_a_coder_cannot_see_it(manager, coder):
    client = web_client(manager)
    client.post(  # no worker runs here: the import waits
        reverse(IMPORT),
        {
            "kind": "cpt",
            "file": upload("c.txt", CPT_TAB),
            "version": "2026",
            "effective_from": "2026-01-01",
        },
    )
    job = CodeSetImport.objects.get()
    url = reverse("coding:codeset-import-status", args=[job.public_id])
    page = client.get(url).content.decode()
    assert "Waiting to load" in page and 'http-equiv="refresh"' in page
    assert web_client(coder).get(url).status_code == 403
    unknown = reverse("coding:codeset-import-status", args=["00000000-0000-0000-0000-000000000000"])
    assert client.get(unknown).status_code == 404


def test_bad_file_is_refused_with_the_line_and_nothing_is_kept(
    manager, eager, django_capture_on_commit_callbacks
):
    client = web_client(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse(IMPORT),
            {
                "kind": "mue",
                "file": upload("mue.csv", MUE + "99902,two,1,x\n"),
                "version": "2026Q1",
                "effective_from": "2026-01-01",
                "setting": "practitioner",
            },
        )
    body = client.get(response["Location"]).content.decode()
    assert "Refused" in body and "nothing of it was kept" in body
    assert "MUE value for 99902 is not a whole number" in body
    assert not MueLimit.objects.exists() and not CodeSet.objects.exists()
    assert CodeSetImport.objects.get().status == CodeSetImport.Status.FAILED


def test_form_asks_for_the_setting_and_sane_dates(manager):
    client = web_client(manager)
    response = client.post(
        reverse(IMPORT),
        {
            "kind": "ncci_ptp",
            "file": upload("p.txt", NCCI_PTP),
            "version": "2026Q1",
            "effective_from": "2026-04-01",
            "effective_to": "2026-03-31",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Choose practitioner or hospital" in body and "cannot end before it starts" in body
    assert not CodeSet.objects.exists()


def test_api_list_detail_and_filters(coder, loaded):
    client = api_client(coder, token=True)
    url = "/api/v1/coding/code-sets/"
    data = client.get(url).json()
    assert [r["system"] for r in data["results"]] == ["cpt"]
    assert client.get(url, {"system": "icd10cm"}).json()["results"] == []
    assert len(client.get(url, {"on": "2026-06-01"}).json()["results"]) == 1
    assert client.get(url, {"on": "2027-06-01"}).json()["results"] == []
    assert client.get(url, {"on": "June"}).status_code == 400
    assert client.get(url, {"system": "icd9"}).status_code == 400
    detail = client.get(f"{url}{loaded.pk}/").json()
    assert detail["source_sha256"] == loaded.source_sha256 and detail["item_count"] == 3
    assert client.get(f"{url}424242/").status_code == 404


def test_api_import_needs_the_permission(coder, manager, eager, django_capture_on_commit_callbacks):
    url = "/api/v1/coding/code-sets/import/"
    payload = {
        "kind": "cpt",
        "file": upload("c.txt", CPT_TAB),
        "version": "2026",
        "effective_from": "2026-01-01",
    }
    assert api_client(coder, token=True).post(url, payload, format="multipart").status_code == 403
    client = api_client(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {**payload, "file": upload("c.txt", CPT_TAB)}, format="multipart"
        )
    assert response.status_code == 202, response.content
    job = client.get(response.json()["url"]).json()
    assert job["done"] and job["status"] == "done" and job["loaded"][0]["items"] == 3
    with django_capture_on_commit_callbacks(execute=True):
        bad = client.post(
            url,
            {**payload, "file": upload("c.txt", "9\tbad\n"), "version": "2027"},
            format="multipart",
        )
    assert bad.status_code == 202
    refused = client.get(bad.json()["url"]).json()
    assert refused["status"] == "failed" and "is not a CPT code" in refused["error"]
    assert not CodeSet.objects.filter(version="2027").exists()
    assert api_client(coder, token=True).get(bad.json()["url"]).status_code == 403
    assert client.get(f"{url[:-7]}imports/{'0' * 8}-0000-0000-0000-{'0' * 12}/").status_code == 404
    missing = client.post(
        url,
        {
            "kind": "mue",
            "file": upload("m.csv", MUE),
            "version": "2026Q1",
            "effective_from": "2026-01-01",
        },
        format="multipart",
    )
    assert missing.status_code == 400 and "setting" in missing.content.decode()


def test_a_lost_import_is_loaded_again_and_given_up_after_its_attempts(
    manager, eager, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    from coding.services import codeset_imports

    def waiting(version):
        job = codeset_imports.import_request(
            kind="cpt",
            data=CPT_TAB.encode(),
            filename="c.txt",
            version=version,
            effective_from=dt.date(2026, 1, 1),
            user=manager,
        )
        an_hour_ago = timezone.now() - dt.timedelta(hours=1)
        CodeSetImport.objects.filter(pk=job.pk).update(requested_at=an_hour_ago)
        return job

    lost = waiting("2026")  # its message never reached a worker
    fresh = codeset_imports.import_request(
        kind="cpt",
        data=CPT_TAB.encode(),
        filename="c.txt",
        version="2027",
        effective_from=dt.date(2027, 1, 1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert codeset_imports.imports_requeue_stale() == [lost.pk]
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert lost.status == CodeSetImport.Status.DONE and lost.loaded[0]["items"] == 3
    assert fresh.status == CodeSetImport.Status.QUEUED  # within its grace period

    worn = waiting("2028")
    CodeSetImport.objects.filter(pk=worn.pk).update(
        status=CodeSetImport.Status.RUNNING,
        attempts=codeset_imports.MAX_ATTEMPTS,
        lease_until=timezone.now() - dt.timedelta(minutes=1),
    )
    assert codeset_imports.imports_requeue_stale() == []
    worn.refresh_from_db()
    assert worn.status == CodeSetImport.Status.FAILED and "after 3 attempts" in worn.error
    assert not worn.file and not CodeSet.objects.filter(version="2028").exists()


def test_command_imports_files_and_refuses_bad_ones(tmp_path):
    hcpcs = tmp_path / "HCPC2026.txt"
    hcpcs.write_text(HCPCS_FIXED)
    out = io.StringIO()
    call_command(
        "load_codesets",
        hcpcs=str(hcpcs),
        set_version="2026",
        effective_from="2026-01-01",
        stdout=out,
    )
    assert "3 items from HCPC2026.txt" in out.getvalue()
    assert Code.objects.filter(code_set__system=CodeSystem.HCPCS).count() == 3
    with pytest.raises(CommandError, match="no such file"):
        call_command(
            "load_codesets",
            cpt=str(tmp_path / "missing.txt"),
            set_version="2026",
            effective_from="2026-01-01",
        )
    with pytest.raises(CommandError, match="Give --version"):
        call_command("load_codesets", cpt=str(hcpcs))
    with pytest.raises(CommandError, match="not a date"):
        call_command(
            "load_codesets", cpt=str(hcpcs), set_version="2026", effective_from="01/01/2026"
        )
    with pytest.raises(CommandError, match="Give --setting"):
        call_command(
            "load_codesets", mue=str(hcpcs), set_version="2026Q1", effective_from="2026-01-01"
        )
    with pytest.raises(CommandError, match=r"HCPC2026.txt: line 1: .* is not a CPT code"):
        call_command(
            "load_codesets", cpt=str(hcpcs), set_version="2026", effective_from="2026-01-01"
        )
    with pytest.raises(CommandError, match="Unknown set"):
        call_command("load_codesets", only="icd9")


def test_command_loads_packaged_sets_once(monkeypatch):
    # The full tables are the loaders' own tests; here the command's skip logic.
    calls = []
    real_msdrg = codesets.load_msdrg

    def spy(**kwargs):
        calls.append(kwargs)
        return real_msdrg(**kwargs)

    monkeypatch.setattr(codesets, "load_msdrg", spy)
    out = io.StringIO()
    call_command("load_codesets", only="msdrg", stdout=out)
    assert "MS-DRG v43" in out.getvalue() and "items in" in out.getvalue()
    call_command("load_codesets", only="msdrg", stdout=out)
    assert "already loaded" in out.getvalue()
    call_command("load_codesets", only="msdrg", force=True, stdout=out)
    assert [c["skip_if_loaded"] for c in calls] == [True, True, False]
    assert CodeSet.objects.filter(system=CodeSystem.MSDRG).count() == 1
    assert AccessEvent.objects.filter(object_type="coding.codeset", action="create").count() == 2
