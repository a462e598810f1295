"""Each part of the app keeps its pages in its own urls_<part>.py."""

from coding import urls_codesets, urls_edits, urls_queue, urls_search, urls_workspace

app_name = "coding"

urlpatterns = [
    *urls_codesets.urlpatterns,
    *urls_search.urlpatterns,
    *urls_edits.urlpatterns,
    *urls_workspace.urlpatterns,
    *urls_queue.urlpatterns,
]
