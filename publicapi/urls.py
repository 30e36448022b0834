from django.urls import path

from . import views

app_name = "publicapi"

urlpatterns = [
    path("api/", views.reference, name="reference"),
    path("accounts/api-keys/", views.keys, name="keys"),
    path("accounts/api-keys/<int:pk>/revoke/", views.revoke, name="revoke"),
]
