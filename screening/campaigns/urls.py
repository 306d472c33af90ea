from django.urls import path

from screening.campaigns import views

urlpatterns = [
    path("", views.campaign_list, name="campaign_list"),
    path("new/", views.campaign_create, name="campaign_create"),
    path("<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("<int:pk>/coverage/", views.campaign_coverage, name="campaign_coverage"),
    path("<int:pk>/classes/<int:class_pk>/", views.campaign_class, name="campaign_class"),
    path(
        "<int:pk>/classes/<int:class_pk>/grid/<str:code>/",
        views.campaign_grid,
        name="campaign_grid",
    ),
]
