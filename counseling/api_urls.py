from django.urls import include, path

from counseling.appointments.apis import AppointmentListApi, AppointmentTransitionApi
from counseling.rooms.apis import RoomListApi, ShiftListApi
from counseling.sessions.apis import SessionDetailApi, SessionListApi, SessionLogApi

urlpatterns: list = [
    path("guidance/", include("counseling.guidance.api_urls")),
    path("supervision/", include("counseling.supervision.api_urls")),
    path("centers/", include("counseling.centers.api_urls")),
    # --- rooms, duty, appointments, sessions (issue 10) ---
    path("rooms/", RoomListApi.as_view(), name="api-counseling-room-list"),
    path("shifts/", ShiftListApi.as_view(), name="api-counseling-shift-list"),
    path("appointments/", AppointmentListApi.as_view(), name="api-counseling-appointment-list"),
    path(
        "appointments/<int:pk>/status/",
        AppointmentTransitionApi.as_view(),
        name="api-counseling-appointment-status",
    ),
    path("sessions/", SessionListApi.as_view(), name="api-counseling-session-list"),
    path("sessions/log/", SessionLogApi.as_view(), name="api-counseling-session-log"),
    path("sessions/<int:pk>/", SessionDetailApi.as_view(), name="api-counseling-session-detail"),
]
