"""Turning a service's ValidationError into errors next to the form's fields."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError


class ServiceErrorsMixin:
    """For PHICreateView/PHIUpdateView whose ``save`` calls a service.

    The service re-checks what the form checked; a clash that slipped in between
    (or a database constraint) comes back as a form error, nothing saved.
    """

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
            for field, messages in errors.items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
        except IntegrityError:
            form.add_error(None, "This conflicts with an existing record (a duplicate?).")
        return self.form_invalid(form)
