from django.urls import path

from staffing import views

app_name = "staffing"

urlpatterns = [
    path("", views.county_status, name="county"),
    path("schools/<str:code>/", views.provision, name="provision"),
    path("schools/<str:code>/teachers/add/", views.teacher_add, name="teacher_add"),
    path("schools/<str:code>/teachers/import/", views.teacher_import, name="teacher_import"),
    path("schools/<str:code>/groups/add/", views.group_add, name="group_add"),
    path("schools/<str:code>/training/add/", views.training_add, name="training_add"),
    path("schools/<str:code>/budget/", views.budget_add, name="budget_add"),
    path("teachers/<int:pk>/end/", views.teacher_end, name="teacher_end"),
    path("teachers/template/", views.teacher_template, name="teacher_template"),
]

# --- bureau writes on the county page (issue 11, gap11) ---
urlpatterns += [
    path("units/<str:code>/researchers/add/", views.researcher_add, name="researcher_add"),
    path("researchers/<int:pk>/end/", views.researcher_end, name="researcher_end"),
    path("units/<str:code>/responsibility/", views.responsibility_save, name="responsibility_save"),
    path("units/<str:code>/budget/", views.bureau_budget, name="bureau_budget"),
    path("units/<str:code>/training/add/", views.bureau_training, name="bureau_training"),
]
