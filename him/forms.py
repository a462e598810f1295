from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from him.models import Facility

# What a 64-bit integer column can hold (PostgreSQL bigint, SQLite INTEGER).
_ID_RANGE = range(-(2**63), 2**63)


class IdsChoiceField(forms.ModelMultipleChoiceField):
    """A multiple choice of rows keyed by an integer id that refuses, with the field's
    own message, a value no 64-bit column can hold before querying with it: SQLite
    cannot even compare one (OverflowError, a 500) where PostgreSQL finds nothing."""

    def _check_values(self, value):
        key = self.to_field_name or "pk"
        meta = self.queryset.model._meta
        target = meta.pk if key == "pk" else meta.get_field(key)
        if isinstance(target, models.IntegerField):
            for pk in value:
                try:
                    number = int(str(pk).strip())
                except ValueError:
                    continue  # not a number at all: Django's own check names it
                if number not in _ID_RANGE:
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": str(pk)[:30]},
                    )
        return super()._check_values(value)


def policy_formfield(db_field, **kwargs):
    """Form fields of our model forms: many-to-many choices through ``IdsChoiceField``."""
    if isinstance(db_field, models.ManyToManyField):
        kwargs.setdefault("form_class", IdsChoiceField)
    return db_field.formfield(**kwargs)


class PolicyModelForm(forms.ModelForm):
    """A model form that only offers facilities the user can reach, and whose
    many-to-many choices refuse ids out of range (``IdsChoiceField``)."""

    def __init_subclass__(cls, **kwargs):
        # Runs before ModelFormMetaclass reads the subclass's own Meta and makes the
        # fields from it: a form that names no callback of its own gets ours.
        super().__init_subclass__(**kwargs)
        meta = cls.__dict__.get("Meta")
        if meta is not None and getattr(meta, "formfield_callback", None) is None:
            meta.formfield_callback = staticmethod(policy_formfield)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        field = self.fields.get("facility")
        if field is not None and user is not None:
            from him.policy import facility_ids

            field.queryset = Facility.objects.filter(pk__in=facility_ids(user), active=True)
