"""Serializer fields every app's API shares."""

from __future__ import annotations

from rest_framework import serializers


class VisibleSlugField(serializers.SlugRelatedField):
    """A related object by its public key, among those the caller may see.

    Subclasses name the model with ``queryset = Model.objects.none()`` (the class
    attribute also names it in the schema); the rows offered are always
    ``Model.objects.visible_to(user)``, so a key out of reach reads as unknown.
    """

    def get_queryset(self):
        request = self.context.get("request")
        model = self.queryset.model
        if request is None:
            return model.objects.none()
        return model.objects.visible_to(request.user)
