"""The platform's model form: many-to-many choices that never reach the database with
an id no column can hold."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from him.forms import IdsChoiceField, PolicyModelForm
from records.models import Provider


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_policy_model_form_offers_its_many_to_many_choices_through_ids_choice_field():
    from django.urls import get_resolver

    assert get_resolver().url_patterns  # every view, so every form module, imported
    forms_with_m2m = 0
    for form in _subclasses(PolicyModelForm):
        model = form._meta.model
        for name, field in form.base_fields.items():
            db_field = next((f for f in model._meta.many_to_many if f.name == name), None)
            if db_field is not None:
                forms_with_m2m += 1
                assert isinstance(field, IdsChoiceField), f"{form.__name__}.{name}"
    assert forms_with_m2m >= 2  # the encounter's other providers, an authorization's encounters


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["99999999999999999999", "-99999999999999999999"])
def test_an_id_out_of_range_is_refused_with_the_fields_message(value):
    field = IdsChoiceField(queryset=Provider.objects.all())
    with pytest.raises(ValidationError) as caught:
        field.clean([value])
    assert caught.value.code == "invalid_pk_value"


@pytest.mark.django_db
def test_ids_in_range_are_checked_as_django_does():
    field = IdsChoiceField(queryset=Provider.objects.all())
    with pytest.raises(ValidationError) as caught:
        field.clean(["12345"])  # in range, no such row
    assert caught.value.code == "invalid_choice"
    with pytest.raises(ValidationError) as caught:
        field.clean(["abc"])
    assert caught.value.code == "invalid_pk_value"
