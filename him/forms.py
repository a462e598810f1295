from __future__ import annotations

from django import forms

from him.models import Facility


class PolicyModelForm(forms.ModelForm):
    """A model form that only offers facilities the user can reach."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        field = self.fields.get("facility")
        if field is not None and user is not None:
            from him.policy import facility_ids

            field.queryset = Facility.objects.filter(pk__in=facility_ids(user), active=True)
