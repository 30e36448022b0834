"""Everything the portal holds about one person, for the "My data" download."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.utils import timezone

from .models import Comment, Flag, Membership, ModerationEvent, Stakeholder, Subscription

# What a stakeholder sees of moderation outcomes on their own comments (not moderators' identities).
OUTCOME_ACTIONS = [
    ModerationEvent.Action.APPROVE,
    ModerationEvent.Action.REJECT,
    ModerationEvent.Action.HIDE,
    ModerationEvent.Action.RESTORE,
    ModerationEvent.Action.FLAG_HIDE,
    ModerationEvent.Action.FLAGS_DISMISSED,
    ModerationEvent.Action.FLAGS_UPHELD,
]


def _time(value):
    return value.isoformat() if value else None


def personal_data(user) -> dict:
    stakeholder = Stakeholder.objects.filter(user=user).first()
    comments = (
        Comment.objects.filter(author=user)
        .select_related("statement", "directive", "parent", "on_behalf_of")
        .prefetch_related("attachments")
    )
    return {
        "exported_at": timezone.now().isoformat(),
        "account": {
            "email": user.email,
            "date_joined": _time(user.date_joined),
            "last_login": _time(user.last_login),
        },
        "emails": [
            {"email": address.email, "verified": address.verified, "primary": address.primary}
            for address in EmailAddress.objects.filter(user=user).order_by("pk")
        ],
        "profile": stakeholder
        and {
            "display_name": stakeholder.display_name,
            "country": stakeholder.country,
            "sector": stakeholder.sector,
            "organisation": stakeholder.organisation,
            "preferred_language": stakeholder.preferred_language,
            "terms_version": stakeholder.terms_version,
            "terms_accepted_at": _time(stakeholder.terms_accepted_at),
        },
        "two_factor_authentication": sorted(Authenticator.objects.filter(user=user).values_list("type", flat=True)),
        "comments": [
            {
                "tracking_number": comment.tracking_number,
                "statement": comment.statement.slug,
                "directive": comment.directive_id,
                "reply_to": comment.parent.tracking_number if comment.parent else None,
                "language": comment.language,
                "status": comment.status,
                "body": comment.body,
                "fingerprint": comment.fingerprint,
                "submitted_at": _time(comment.submitted_at),
                "edited_at": _time(comment.edited_at),
                "decided_at": _time(comment.decided_at),
                "decision_reason": comment.decision_reason,
                "decision_note": comment.decision_note,
                "anonymous": comment.anonymous,
                "on_behalf_of": comment.on_behalf_of.name if comment.on_behalf_of_id else None,
                "attachments": [
                    {"name": file.name, "type": file.content_type, "size": file.size, "sha256": file.sha256}
                    for file in comment.attachments.all()
                ],
            }
            for comment in comments
        ],
        "organisations": [
            {
                "name": membership.organisation.name,
                "administrator": membership.is_admin,
                "joined_at": _time(membership.joined_at),
            }
            for membership in Membership.objects.filter(user=user).select_related("organisation").order_by("pk")
        ],
        "flags": [
            {
                "comment": flag.comment.tracking_number,
                "reason": flag.reason,
                "note": flag.note,
                "reported_at": _time(flag.created_at),
                "resolution": flag.resolution,
            }
            for flag in Flag.objects.filter(flagger=user).select_related("comment")
        ],
        "subscriptions": [
            {
                "topic": row.topic,
                "statement": row.statement.slug if row.statement else None,
                "priority": row.priority.slug if row.priority else None,
                "email": row.delivery,
                "since": _time(row.created_at),
            }
            for row in Subscription.objects.filter(user=user).select_related("statement", "priority")
        ],
        "moderation_outcomes": [
            {
                "comment": event.comment.tracking_number,
                "action": event.action,
                "from_status": event.from_status,
                "to_status": event.to_status,
                "reason": event.reason,
                "note": event.note,
                "time": _time(event.created_at),
            }
            for event in ModerationEvent.objects.filter(comment__author=user, action__in=OUTCOME_ACTIONS)
            .select_related("comment")
            .order_by("created_at", "pk")
        ],
    }
