from django.urls import path

from screening.growth import views

# Included from ``screening/urls.py`` under "growth/": the namespace stays ``screening``.
urlpatterns = [
    path("students/<int:pk>/plan/", views.support_plan_edit, name="support_plan_edit"),
    path("students/<int:pk>/pdf/", views.growth_pdf, name="growth_pdf"),
]
