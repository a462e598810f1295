"""Each part of the app keeps its API in release_of_info/api/<part>.py."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from release_of_info.api import authfees, packet, release, requests

app_name = "release_of_info-api"

_PARTS = (
    requests,
    authfees,
    packet,
    release,
)

router = SimpleRouter()
for _part in _PARTS:
    _part.register(router)

urlpatterns = [
    *(p for part in _PARTS for p in part.urlpatterns),
    path("", include(router.urls)),
]
