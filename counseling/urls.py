from django.urls import include, path

from counseling.appointments import views as appointment_views
from counseling.rooms import views as room_views
from counseling.sessions import views as session_views

app_name = "counseling"

urlpatterns = [
    path("guidance/", include("counseling.guidance.urls")),
    path("supervision/", include("counseling.supervision.urls")),
    path("centers/", include("counseling.centers.urls")),
    # --- rooms, duty, appointments, sessions (issue 10) ---
    path("rooms/", room_views.room_list, name="room_list"),
    path("rooms/new/", room_views.room_create, name="room_create"),
    path("rooms/<int:pk>/", room_views.room_detail, name="room_detail"),
    path("rooms/<int:pk>/edit/", room_views.room_edit, name="room_edit"),
    path("rooms/<int:pk>/hours/", room_views.hours_add, name="hours_add"),
    path("rooms/<int:pk>/hours/remove/", room_views.hours_remove, name="hours_remove"),
    path("duty/", room_views.duty_week, name="duty_week"),
    path("duty/shifts/", room_views.shift_add, name="shift_add"),
    path("duty/shifts/<int:pk>/remove/", room_views.shift_remove, name="shift_remove"),
    path("appointments/", appointment_views.appointment_list, name="appointment_list"),
    path("appointments/book/", appointment_views.appointment_book, name="appointment_book"),
    path("appointments/<int:pk>/", appointment_views.appointment_detail, name="appointment_detail"),
    path(
        "appointments/<int:pk>/status/",
        appointment_views.appointment_transition,
        name="appointment_transition",
    ),
    path("sessions/", session_views.session_list, name="session_list"),
    path("sessions/new/", session_views.session_new, name="session_new"),
    path("sessions/log/", session_views.session_log, name="session_log"),
    path("sessions/<int:pk>/", session_views.session_detail, name="session_detail"),
    path("sessions/<int:pk>/share/", session_views.session_share, name="session_share"),
]
