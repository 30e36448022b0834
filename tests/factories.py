"""Small helpers that build test data through the same models and code paths the portal uses."""

import datetime
import itertools

from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from dialogue.models import Stakeholder
from priorities.models import Directive, Priority, Statement, StatementVersion

PASSWORD = "a-long-test-password-2008"
SEED_SLUG = "2008-02-28-joint-statement-los-cabos"
_numbers = itertools.count(1)


def seed_statement() -> Statement:
    """The 2008 statement the data migration ships."""
    return Statement.objects.get(slug=SEED_SLUG)


def make_user(email=None, *, verified=True, groups=(), staff=False, mfa=False, **profile):
    User = get_user_model()
    number = next(_numbers)
    email = email or f"user{number}@example.org"
    user = User.objects.create_user(username=f"user{number}", email=email, password=PASSWORD, is_staff=staff)
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    Stakeholder.objects.create(
        user=user,
        display_name=profile.pop("display_name", f"Participant {number}"),
        **profile,
    )
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    if mfa:
        user.totp_secret = generate_totp_secret()
        TOTP.activate(user, user.totp_secret)
    return user


def make_publisher(**kwargs):
    """A publisher who has set up two-factor authentication, as the role requires."""
    return make_user(groups=["Publishers"], staff=True, mfa=True, **kwargs)


def make_moderator(**kwargs):
    """A moderator who has set up two-factor authentication, as the role requires."""
    return make_user(groups=["Moderators"], mfa=True, **kwargs)


def reauthenticate(client) -> None:
    """The signed-in official gives their password again (allauth's reauthentication), as the portal asks
    before bulk decisions, publishing and changes of rights; it holds for ACCOUNT_REAUTHENTICATION_TIMEOUT."""
    response = client.post("/en/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 302, "reauthenticated"


def make_statement(*, status=Statement.Status.PUBLISHED, published_at=None, open_comments=True, **fields):
    number = next(_numbers)
    now = timezone.now()
    if status == Statement.Status.PUBLISHED and published_at is None:
        published_at = now - datetime.timedelta(days=1)
    defaults = {
        "slug": f"statement-{number}",
        "title_en": f"Statement number {number}",
        "body_en": f"Body of statement {number}.",
        "release_date": datetime.date(2009, 1, 1) + datetime.timedelta(days=number),
        "status": status,
        "published_at": published_at,
    }
    if open_comments:
        defaults["comments_open_at"] = now - datetime.timedelta(days=1)
        defaults["comments_close_at"] = now + datetime.timedelta(days=30)
    defaults.update(fields)
    statement = Statement.objects.create(**defaults)
    priorities = list(Priority.objects.order_by("order"))
    statement.priorities.set(priorities)
    for order, priority in enumerate(priorities, start=1):
        Directive.objects.create(
            statement=statement, priority=priority, order=order, text_en=f"Directive {order} of {number}"
        )
    if statement.has_been_public() or statement.is_scheduled():
        # Version 1, as statement_publish (and the migration, for statements published before) keeps it.
        StatementVersion.objects.create(
            statement=statement, number=1, made_at=statement.published_at, **StatementVersion.snapshot(statement)
        )
    return statement


def make_comment(statement, *, author=None, body=None, approve_by=None, parent=None, language="en", **kwargs):
    """A comment submitted through the real service; approved by `approve_by` when given."""
    from dialogue import services

    author = author or make_user()
    comment = services.comment_submit(
        author=author,
        statement=statement,
        body=body or f"A considered comment number {next(_numbers)} on this statement.",
        language=language,
        parent=parent,
        **kwargs,
    )
    if approve_by is not None:
        comment = services.comment_approve(comment=comment, seen=comment.fingerprint, moderator=approve_by)
    return comment
