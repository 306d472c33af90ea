from django.urls import path

from screening import views

app_name = "screening"
urlpatterns = [
    path("students/<int:pk>/phq-9/", views.result_create, name="phq9_create"),
    path("students/<int:pk>/enter/<str:code>/", views.result_create, name="result_create"),
]
