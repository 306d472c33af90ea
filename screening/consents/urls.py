from django.urls import path

from screening.consents import views

urlpatterns = [
    path("privacy/", views.privacy_notice, name="privacy_notice"),
    path("classes/<int:class_pk>/", views.class_consents, name="class_consents"),
    path("campaigns/<int:pk>/notice/", views.campaign_notice, name="campaign_notice"),
]
