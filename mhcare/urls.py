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

# The app's own error pages (in the user's language and layout), also with DEBUG on for 404
# (mhcare.core.errors.AppErrorPagesMiddleware).
handler403 = "mhcare.core.errors.permission_denied"
handler404 = "mhcare.core.errors.page_not_found"
handler500 = "mhcare.core.errors.server_error"
