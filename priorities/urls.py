from django.urls import path

from . import views

app_name = "priorities"

urlpatterns = [
    path("priorities/", views.priority_list, name="priority-list"),
    path("priorities/<slug:slug>/", views.priority_detail, name="priority-detail"),
    path("statements/", views.statement_list, name="statement-list"),
    path("statements/<slug:slug>/", views.statement_detail, name="statement-detail"),
]
