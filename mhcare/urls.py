from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

urlpatterns = [
    path("", include("mhcare.core.urls")),
    path("accounts/", include("mhcare.accounts.urls")),
    path("students/", include("mhcare.orgs.urls")),
    path("inbox/", include("mhcare.notifications.urls")),
    path("screening/", include("screening.urls")),
    path("crisis/", include("crisis.urls")),
    path("compliance/", include("compliance.urls")),
    path("audit/", include("mhcare.audit.urls")),
    path("api/v1/", include("mhcare.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
]
