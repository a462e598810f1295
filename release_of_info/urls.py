"""Each part of the app keeps its pages in its own urls_<part>.py."""

from release_of_info import urls_authfees, urls_packet, urls_release, urls_requests

app_name = "release_of_info"

urlpatterns = [
    *urls_requests.urlpatterns,
    *urls_authfees.urlpatterns,
    *urls_packet.urlpatterns,
    *urls_release.urlpatterns,
]
