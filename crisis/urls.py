from django.urls import path

from crisis import views

app_name = "crisis"
urlpatterns = [
    path("high-risk/", views.highrisk_list, name="highrisk_list"),
]
