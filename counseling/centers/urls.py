from django.urls import path

from counseling.centers import views

# Included from ``counseling/urls.py`` under "centers/": the namespace stays ``counseling``.
urlpatterns = [
    path("", views.center_list, name="center_list"),
    path("<int:pk>/", views.center_checklist, name="center_checklist"),
    path("<int:pk>/items/<slug:code>/", views.center_entry_save, name="center_entry_save"),
    path("<int:pk>/items/<slug:code>/file/", views.center_evidence, name="center_evidence"),
    path("<int:pk>/judge/", views.center_judge, name="center_judge"),
]
