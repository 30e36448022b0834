from django.urls import path, register_converter

from . import feeds, moderation, open_data, organisation_views, participation, views


class TrackingNumberConverter:
    """
    A tracking number as stored (SPP-7K3Q-M9TD) or as typed (lower case, look-alike letters: the
    views normalise it). Anything else is no comment's address and never reaches the database.
    """

    regex = "[A-Za-z0-9-]{1,32}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(TrackingNumberConverter, "tracking")


class SignedTokenConverter:
    """A django.core.signing token as an unsubscribe link carries it (URL-safe base64 and colons)."""

    regex = "[A-Za-z0-9_:-]{1,300}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(SignedTokenConverter, "signed")

app_name = "dialogue"

urlpatterns = [
    path("dialogue/statements/<slug:slug>/comment/", views.comment_create, name="comment-create"),
    path("dialogue/comments/<tracking:tracking>/reply/", views.comment_reply, name="comment-reply"),
    path("dialogue/comments/<tracking:tracking>/edit/", views.comment_edit, name="comment-edit"),
    path("dialogue/comments/<tracking:tracking>/withdraw/", views.comment_withdraw, name="comment-withdraw"),
    path("dialogue/comments/<tracking:tracking>/report/", views.comment_flag, name="comment-flag"),
    path("dialogue/comments/<tracking:tracking>/support/", views.comment_support, name="comment-support"),
    path("dialogue/comments/<tracking:tracking>/appeal/", views.comment_appeal, name="comment-appeal"),
    path("dialogue/comments/<tracking:tracking>/files/<int:number>/", views.attachment_download, name="attachment"),
    path("dialogue/receipt/<tracking:tracking>/", views.receipt, name="receipt"),
    path("dialogue/campaigns/<int:pk>/", views.campaign, name="campaign"),
    path("dialogue/mine/", views.my_submissions, name="mine"),
    path("dialogue/subscriptions/", views.subscriptions, name="subscriptions"),
    path("dialogue/statements/<slug:slug>/follow/", views.follow_statement, name="follow-statement"),
    path("dialogue/priorities/<slug:slug>/follow/", views.follow_priority, name="follow-priority"),
    path("dialogue/unsubscribe/<signed:token>/", views.unsubscribe, name="unsubscribe"),
    path("dialogue/verify/", views.verify, name="verify"),
    # Organisations (issue 14).
    path("dialogue/organisations/", organisation_views.organisation_list, name="organisation-list"),
    path("dialogue/organisations/new/", organisation_views.organisation_register, name="organisation-register"),
    path("dialogue/organisations/<int:pk>/", organisation_views.organisation_detail, name="organisation-detail"),
    path("dialogue/organisations/<int:pk>/invite/", organisation_views.organisation_invite, name="organisation-invite"),
    path(
        "dialogue/organisations/<int:pk>/members/<int:member>/end/",
        organisation_views.organisation_member_end,
        name="organisation-member-end",
    ),
    path(
        "dialogue/organisations/<int:pk>/members/<int:member>/admin/",
        organisation_views.organisation_member_admin,
        name="organisation-member-admin",
    ),
    path(
        "dialogue/organisations/invitations/<str:token>/",
        organisation_views.invitation_accept,
        name="invitation-accept",
    ),
    path("dialogue/moderation-policy/", views.moderation_policy, name="moderation-policy"),
    path("dialogue/moderation-report/", views.moderation_report, name="moderation-report"),
    path("moderation/", moderation.queue, name="moderation-queue"),
    path("moderation/bulk/", moderation.bulk_decide, name="moderation-bulk"),
    path("moderation/log/", moderation.audit_log, name="moderation-log"),
    path("moderation/log.csv", moderation.audit_log_csv, name="moderation-log-csv"),
    path("moderation/appeals/", moderation.appeals, name="moderation-appeals"),
    path("moderation/organisations/", organisation_views.moderation_organisations, name="moderation-organisations"),
    path("moderation/comments/<tracking:tracking>/", moderation.comment_detail, name="moderation-comment"),
    path("moderation/campaigns/<int:pk>/", moderation.campaign_detail, name="moderation-campaign"),
    path("moderation/campaigns/<int:pk>/decide/", moderation.campaign_decide, name="moderation-campaign-decide"),
    *[
        path(
            f"moderation/comments/<tracking:tracking>/{action}/",
            moderation.decide,
            {"action": action},
            name=f"moderation-{action}",
        )
        for action in moderation.DECISIONS
    ],
    path("moderation/comments/<tracking:tracking>/reports/resolve/", moderation.resolve_flags, name="moderation-flags"),
    path("moderation/comments/<tracking:tracking>/responses/new/", moderation.respond, name="moderation-respond"),
    # Discovery: feeds, open data, participation (issue 7).
    path("statements/<slug:slug>/comments/feed/", feeds.StatementCommentsFeed(), name="statement-comments-feed"),
    path("priorities/<slug:slug>/feed/", feeds.PriorityActivityFeed(), name="priority-activity-feed"),
    path("open-data/", open_data.open_data, name="open-data"),
    path("open-data/comments.schema.json", open_data.schema, name="open-data-schema"),
    path("open-data/dumps/latest/<str:name>", open_data.dump_file, name="open-data-dump"),
    path("open-data/statements/<slug:slug>/comments.csv", open_data.comments_csv, name="open-data-csv"),
    path("open-data/statements/<slug:slug>/comments.json", open_data.comments_json, name="open-data-json"),
    path("participation/", participation.dashboard, name="participation"),
    path("participation/statements/<slug:slug>/", participation.statement_dashboard, name="participation-statement"),
    path("participation/priorities/<slug:slug>/", participation.priority_dashboard, name="participation-priority"),
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/my-data/", views.my_data, name="my-data"),
    path("accounts/my-data/export/", views.my_data_export, name="my-data-export"),
    path("accounts/delete/", views.account_delete, name="account-delete"),
]
