from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog, set_language

from mhcare.accounts import policy

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
    path("i18n/setlang/", policy.public(set_language), name="set_language"),
    path("jsi18n/", policy.public(JavaScriptCatalog.as_view()), name="javascript-catalog"),
    # The admin is declared as a whole: every admin view checks is_staff and its model permissions.
    path("admin/", admin.site.urls),
    path("counseling/", include("counseling.urls")),
]

# The app's own error pages (in the user's language and layout), also with DEBUG on for 404
# (mhcare.core.errors.AppErrorPagesMiddleware).
handler403 = "mhcare.core.errors.permission_denied"
handler404 = "mhcare.core.errors.page_not_found"
handler500 = "mhcare.core.errors.server_error"
