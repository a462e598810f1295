from django.urls import path

from him.views import trail

app_name = "trail"

urlpatterns = [
    path("", trail.AccessEventListView.as_view(), name="accessevent-list"),
    path("export.csv", trail.AccessEventExportView.as_view(), name="accessevent-export"),
]
