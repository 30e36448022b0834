from django.urls import path

from . import feeds, views

app_name = "priorities"

urlpatterns = [
    path("priorities/", views.priority_list, name="priority-list"),
    path("priorities/<slug:slug>/", views.priority_detail, name="priority-detail"),
    path("statements/", views.statement_list, name="statement-list"),
    # Before the statement pages, so "feed" is never taken for a statement's slug.
    path("statements/feed/", feeds.StatementsFeed(), name="statement-feed"),
    path("statements/<slug:slug>/", views.statement_detail, name="statement-detail"),
    path("statements/<slug:slug>/versions/", views.statement_versions, name="statement-versions"),
    path("statements/<slug:slug>/what-we-heard/", views.statement_outcome, name="statement-outcome"),
    path("statements/<slug:slug>/documents/<int:pk>/", views.statement_document, name="statement-document"),
]
