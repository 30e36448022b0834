from django.urls import path

from . import views

app_name = "dialogue"

urlpatterns = [
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/my-data/", views.my_data, name="my-data"),
    path("accounts/my-data/export/", views.my_data_export, name="my-data-export"),
    path("accounts/delete/", views.account_delete, name="account-delete"),
]
