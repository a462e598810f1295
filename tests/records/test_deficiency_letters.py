"""Reminder and escalation letters: made once a day per provider, downloads trailed."""

from __future__ import annotations

import datetime as dt

import pytest
from deficiency_factories import (
    DeficiencyFactory,
    EncounterFactory,
    PatientFactory,
    ProviderFactory,
)
from django.utils import timezone

from him import roles
from him.testing.factories import UserFactory
from him.testing.mixins import PolicyContract
from him.testing.personas import web_client
from him.trail import Action
from records import tasks
from records.models import DeficiencyLetter
from records.services.deficiency_letters import (
    ESCALATION_DAYS,
    deficiency_letters_generate,
)

LIST = "/records/deficiency-letters/"
Kind = DeficiencyLetter.LetterKind


def deficiency(facility, provider, *, due_in_days: float):
    encounter = EncounterFactory(patient=PatientFactory(facility=facility), attending=provider)
    return DeficiencyFactory(
        encounter=encounter, due_at=timezone.now() + dt.timedelta(days=due_in_days)
    )


@pytest.fixture
def doctor(personas):
    user = UserFactory(username="drletter", roles=[roles.PHYSICIAN], facilities=[personas.facility])
    return ProviderFactory(user=user, family_name="Letter")


def test_reminder_letter_is_made_once_per_provider_per_day(personas, doctor):
    due_soon = deficiency(personas.facility, doctor, due_in_days=1)
    just_late = deficiency(personas.facility, doctor, due_in_days=-2)
    deficiency(personas.facility, doctor, due_in_days=20)  # not yet worth a letter
    made = deficiency_letters_generate()
    assert len(made) == 1
    (letter,) = made
    assert (letter.provider, letter.kind, letter.facility) == (
        doctor,
        Kind.REMINDER,
        personas.facility,
    )
    assert set(letter.deficiencies.all()) == {due_soon, just_late}
    with letter.file.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"
    # Beat firing again the same day, or the task delivered twice: nothing new.
    assert deficiency_letters_generate() == []
    assert tasks.send_deficiency_letters() == 0
    assert DeficiencyLetter.objects.count() == 1
    # The next day is another letter.
    tomorrow = timezone.now() + dt.timedelta(days=1)
    assert len(deficiency_letters_generate(now=tomorrow)) == 1


def test_escalation_letter_for_long_delinquent_records(personas, doctor):
    deficiency(personas.facility, doctor, due_in_days=-(ESCALATION_DAYS + 1))
    deficiency(personas.facility, doctor, due_in_days=1)
    other = ProviderFactory()
    deficiency(personas.facility, other, due_in_days=-(ESCALATION_DAYS + 3))
    made = deficiency_letters_generate()
    kinds = sorted((letter.provider.family_name, letter.kind) for letter in made)
    assert kinds == sorted(
        [("Letter", Kind.ESCALATION), ("Letter", Kind.REMINDER), (other.family_name, "escalation")]
    )


def test_letter_download_is_an_export_in_the_trail(personas, doctor, trail_watch):
    deficiency(personas.facility, doctor, due_in_days=1)
    (letter,) = deficiency_letters_generate()
    trail_watch.mark()
    response = web_client(personas.writer).get(f"{LIST}{letter.public_id}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    row = trail_watch.one(action=Action.EXPORT)
    assert row.object_type == "records.deficiencyletter"
    assert row.object_id == letter.public_ref
    assert row.user_id == personas.writer.pk
    # Out of reach: 404, and nothing exported.
    trail_watch.mark()
    assert web_client(personas.outsider).get(f"{LIST}{letter.public_id}/").status_code == 404
    trail_watch.none(action=Action.EXPORT)


def test_physician_sees_only_their_own_letters(personas, doctor):
    deficiency(personas.facility, doctor, due_in_days=1)
    deficiency(personas.facility, ProviderFactory(), due_in_days=1)
    mine, theirs = sorted(deficiency_letters_generate(), key=lambda x: x.provider != doctor)
    client = web_client(doctor.user)
    response = client.get(LIST)
    assert list(response.context["object_list"]) == [mine]
    assert client.get(f"{LIST}{theirs.public_id}/").status_code == 404
    assert client.get(f"{LIST}{mine.public_id}/").status_code == 200


def test_the_sweep_and_letters_run_on_a_schedule():
    from him.celery import app

    tasks_scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {"records.tasks.sweep_deficiencies", "records.tasks.send_deficiency_letters"} <= (
        tasks_scheduled
    )


def test_sweep_task_reports_its_work(personas):
    EncounterFactory(patient=PatientFactory(facility=personas.facility))
    assert tasks.sweep_deficiencies() == {"created": 1, "completed": 0}
    assert tasks.sweep_deficiencies() == {"created": 0, "completed": 0}


class TestDeficiencyLetterContract(PolicyContract):
    model = DeficiencyLetter
    list_url = LIST

    def make(self, facility):
        provider = ProviderFactory()
        item = deficiency(facility, provider, due_in_days=1)
        letter = DeficiencyLetter.objects.create(
            facility=facility,
            provider=provider,
            kind=Kind.REMINDER,
            letter_date=timezone.localdate(),
            file="letters/x.pdf",
        )
        letter.deficiencies.add(item)
        return letter

    def search_params(self, obj):
        return {"provider": obj.provider.npi}
