from django.urls import path

from referrals import apis

urlpatterns: list = [
    path("", apis.ReferralListCreateApi.as_view(), name="api-referral-list"),
    path("institutions/", apis.InstitutionListCreateApi.as_view(), name="api-institution-list"),
    path("<int:pk>/", apis.ReferralDetailApi.as_view(), name="api-referral-detail"),
    path(
        "<int:pk>/transition/",
        apis.ReferralTransitionApi.as_view(),
        name="api-referral-transition",
    ),
    path("<int:pk>/consent/", apis.ReferralConsentApi.as_view(), name="api-referral-consent"),
    path("<int:pk>/feedback/", apis.ReferralFeedbackApi.as_view(), name="api-referral-feedback"),
]
