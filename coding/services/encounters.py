"""The one place an encounter's coding row comes into being."""

from __future__ import annotations

from coding.models import EncounterCoding
from records.models import Encounter


def coding_for(encounter: Encounter) -> EncounterCoding:
    """The encounter's ``EncounterCoding``, created (not started) the first time it is asked."""
    coding, _ = EncounterCoding.objects.get_or_create(encounter=encounter)
    return coding
