from django.urls import path

from counseling.supervision import views

# Included from ``counseling/urls.py`` under "supervision/": the namespace stays ``counseling``.
urlpatterns = [
    path("", views.supervision_home, name="supervision_home"),
    path("sessions/new/", views.session_new, name="supervision_session_new"),
    path("sessions/<int:pk>/", views.session_detail, name="supervision_session"),
    path("stations/", views.stations, name="supervision_stations"),
    path("profile/", views.profile, name="supervision_profile"),
]
