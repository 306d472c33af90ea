from django.urls import path

from mhcare.orgs import views

app_name = "orgs"
urlpatterns = [
    path("", views.student_list, name="student_list"),
    path("<int:pk>/", views.student_detail, name="student_detail"),
    path("<int:pk>/leave/", views.student_leave, name="student_leave"),
    path("guardians/<int:pk>/phone/", views.guardian_phone, name="guardian_phone"),
    path("import/", views.roster_import, name="roster_import"),
    path("import/template.xlsx", views.roster_template, name="roster_template"),
    # --- protect: the full student number on request, audited (issue 13) ---
    path("<int:pk>/number/", views.student_number, name="student_number"),
]
