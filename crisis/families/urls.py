from django.urls import path

from crisis.families import views

# Included from ``crisis/urls.py`` under "families/": the namespace stays ``crisis``.
urlpatterns = [
    path("", views.family_index, name="family_index"),
    path("schools/<int:pk>/", views.family_school, name="family_school"),
    path("classes/<int:pk>/", views.family_class, name="family_class"),
    path(
        "classes/<int:pk>/students/<int:student_pk>/contacts/",
        views.family_contact_create,
        name="family_contact_create",
    ),
    path("students/<int:pk>/", views.family_student, name="family_student"),
    path("key-periods/", views.family_key_period_list, name="family_key_period_list"),
    path("key-periods/<int:pk>/", views.family_key_period, name="family_key_period"),
    path(
        "key-periods/<int:pk>/build/",
        views.family_key_period_build,
        name="family_key_period_build",
    ),
    path(
        "key-periods/<int:pk>/schools/<int:school_pk>/",
        views.family_checklist,
        name="family_checklist",
    ),
    path("visits/<int:pk>/", views.family_visit_mark, name="family_visit_mark"),
]
