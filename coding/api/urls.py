"""Each part of the app keeps its API in coding/api/<part>.py."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from coding.api import codesets, edits, queue, search, workspace

app_name = "coding-api"

_PARTS = (
    codesets,
    search,
    edits,
    workspace,
    queue,
)

router = SimpleRouter()
for _part in _PARTS:
    _part.register(router)

urlpatterns = [
    *(p for part in _PARTS for p in part.urlpatterns),
    path("", include(router.urls)),
]
