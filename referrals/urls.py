from django.urls import path

from referrals import views

app_name = "referrals"

urlpatterns = [
    path("", views.referral_list, name="list"),
    path("new/", views.referral_create, name="create"),
    path("<int:pk>/", views.referral_detail, name="detail"),
    path("<int:pk>/consent/", views.referral_consent, name="consent"),
    path("<int:pk>/consent/scan/", views.referral_consent_scan, name="consent_scan"),
    path("<int:pk>/override/", views.referral_override, name="override"),
    path("<int:pk>/feedback/", views.referral_feedback, name="feedback"),
    path("<int:pk>/return/", views.referral_return, name="return"),
    path("<int:pk>/plan/", views.referral_plan, name="plan"),
    path("<int:pk>/<str:step>/", views.referral_step, name="step"),
    path("institutions/", views.institution_list, name="institution_list"),
    path("institutions/new/", views.institution_create, name="institution_create"),
    path("institutions/<int:pk>/", views.institution_edit, name="institution_edit"),
    path(
        "institutions/<int:pk>/shares/",
        views.institution_shares_refresh,
        name="institution_shares_refresh",
    ),
]
