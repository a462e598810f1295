from django.contrib import admin
from django.contrib.auth.views import LogoutView
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from him.views import auth, health

app_name = "him"

him_patterns = [
    path("", auth.HomeView.as_view(), name="home"),
    path("accounts/login/", auth.LoginView.as_view(), name="login"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path("accounts/second-factor/enrol/", auth.OTPEnrolView.as_view(), name="otp-enrol"),
    path("accounts/second-factor/", auth.OTPVerifyView.as_view(), name="otp-verify"),
    path("health/", health.health, name="health"),
]

urlpatterns = [
    path("", include((him_patterns, "him"))),
    path("trail/", include("him.urls_trail")),
    path("reports/", include("him.urls_reports")),
    path("records/", include("records.urls")),
    path("coding/", include("coding.urls")),
    path("roi/", include("release_of_info.urls")),
    path("api/v1/", include("him.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

handler400 = "him.views.errors.bad_request"
handler403 = "him.views.errors.permission_denied"
handler404 = "him.views.errors.not_found"
handler500 = "him.views.errors.server_error"
