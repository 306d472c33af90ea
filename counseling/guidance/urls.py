from django.urls import path

from counseling.guidance import views

# Included from ``counseling/urls.py`` under "guidance/": the namespace stays ``counseling``.
urlpatterns = [
    path("", views.watch_list, name="guidance_watch_list"),
    path("students/<int:pk>/", views.guidance_student, name="guidance_student"),
    path("students/<int:pk>/flags/", views.guidance_flags, name="guidance_flags"),
    path("students/<int:pk>/responsible/", views.guidance_assign, name="guidance_assign"),
    path("students/<int:pk>/records/", views.guidance_record_add, name="guidance_record_add"),
]
