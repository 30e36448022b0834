from django.urls import path

from . import views

app_name = "dialogue"

urlpatterns = [
    path("dialogue/statements/<slug:slug>/comment/", views.comment_create, name="comment-create"),
    path("dialogue/comments/<str:tracking>/reply/", views.comment_reply, name="comment-reply"),
    path("dialogue/comments/<str:tracking>/edit/", views.comment_edit, name="comment-edit"),
    path("dialogue/comments/<str:tracking>/withdraw/", views.comment_withdraw, name="comment-withdraw"),
    path("dialogue/comments/<str:tracking>/report/", views.comment_flag, name="comment-flag"),
    path("dialogue/receipt/<str:tracking>/", views.receipt, name="receipt"),
    path("dialogue/mine/", views.my_submissions, name="mine"),
    path("dialogue/verify/", views.verify, name="verify"),
    path("dialogue/moderation-policy/", views.moderation_policy, name="moderation-policy"),
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/my-data/", views.my_data, name="my-data"),
    path("accounts/my-data/export/", views.my_data_export, name="my-data-export"),
    path("accounts/delete/", views.account_delete, name="account-delete"),
]
