"""
Organisations: registered by a stakeholder (their first administrator), joined by invitation,
verified or declined by a moderator. The workflows, each one transaction like dialogue.services;
their emails are written into the outbox in the same transaction, in the recipient's language.
"""

import datetime
import secrets

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pagecache.cache import invalidate_public_pages

from .adapter import email_subject, preferred_language, sender
from .models import Invitation, Membership, Organisation, normalise_registry_id, registry_problem
from .services import NotAllowed, _actor_name, _has_verified_email
from .text import clean_body

# Invitations an organisation may have sent in the last 24 hours (each is an email to a stranger).
INVITATIONS_PER_DAY = 50


def is_admin(organisation: Organisation, user) -> bool:
    return Membership.objects.filter(organisation=organisation, user=user, is_admin=True).exists()


def is_member(organisation: Organisation, user) -> bool:
    return Membership.objects.filter(organisation=organisation, user=user).exists()


@transaction.atomic
def organisation_register(
    *, user, name: str, country: str, sector: str, website: str = "", registry_id: str = ""
) -> Organisation:
    """A verified stakeholder registers an organisation and becomes its administrator; it awaits verification."""
    if not _has_verified_email(user):
        raise NotAllowed(_("Please verify your email address before you take part."))
    registry_id = normalise_registry_id(registry_id)
    if problem := registry_problem(country, registry_id):
        raise NotAllowed(str(problem))
    organisation = Organisation.objects.create(
        name=" ".join(name.split()),
        country=country,
        sector=sector,
        website=website,
        registry_id=registry_id,
        created_by=user,
    )
    Membership.objects.create(organisation=organisation, user=user, is_admin=True)
    # Moderators' navigation counts the organisations waiting.
    invalidate_public_pages(tags=())
    return organisation


@transaction.atomic
def invitation_send(*, organisation: Organisation, inviter, email: str) -> Invitation:
    """An administrator invites someone by email; the email is in the invitee's language if they have an
    account, else in the language the administrator is using."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if not is_admin(organisation, inviter):
        raise NotAllowed(_("Only an administrator of the organisation can invite members."))
    if organisation.status == Organisation.Status.DECLINED:
        raise NotAllowed(_("A declined organisation cannot invite members."))
    email = email.strip()
    if Membership.objects.filter(organisation=organisation, user__emailaddress__email__iexact=email).exists():
        raise NotAllowed(_("This person is already a member of the organisation."))
    since = timezone.now() - datetime.timedelta(days=1)
    if Invitation.objects.filter(organisation=organisation, created_at__gt=since).count() >= INVITATIONS_PER_DAY:
        raise NotAllowed(
            _("The organisation has sent %(count)d invitations today, the most the portal sends. Try again tomorrow.")
            % {"count": INVITATIONS_PER_DAY}
        )
    invitation = Invitation.objects.create(
        organisation=organisation, email=email, token=secrets.token_urlsafe(32), invited_by=inviter
    )
    _send_invitation(invitation)
    return invitation


def _send_invitation(invitation: Invitation) -> None:
    address = EmailAddress.objects.filter(email__iexact=invitation.email).select_related("user__stakeholder").first()
    language = preferred_language(address.user) if address else (translation.get_language() or "en")
    with translation.override(language):
        context = {
            "organisation": invitation.organisation,
            "inviter": _actor_name(invitation.invited_by),
            "accept_url": settings.PORTAL_URL + reverse("dialogue:invitation-accept", args=[invitation.token]),
            "signup_url": settings.PORTAL_URL + reverse("account_signup"),
            "days": settings.ORGANISATION_INVITATION_DAYS,
        }
        subject = email_subject(render_to_string("dialogue/email/invitation_subject.txt", context))
        body = render_to_string("dialogue/email/invitation_message.txt", context)
        from_email = sender()
    send_mail(subject, body, from_email, [invitation.email])


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user) -> Membership:
    """The invitee, signed in with the invited address verified, joins the organisation."""
    invitation = Invitation.objects.select_for_update().select_related("organisation").get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise NotAllowed(_("This invitation was already accepted."))
    if timezone.now() > invitation.expires_at():
        raise NotAllowed(_("This invitation has expired. Ask the organisation's administrator for a new one."))
    if not EmailAddress.objects.filter(user=user, email__iexact=invitation.email, verified=True).exists():
        raise NotAllowed(
            _("This invitation was sent to another email address. Sign in with the account of %(email)s.")
            % {"email": invitation.email}
        )
    membership, _created = Membership.objects.get_or_create(organisation=invitation.organisation, user=user)
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return membership


@transaction.atomic
def membership_end(*, membership: Membership, actor) -> None:
    """A member leaves, or an administrator removes them. Comments already submitted on the organisation's
    behalf keep it; the last administrator cannot leave (the organisation would have no one to run it)."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if actor.pk != membership.user_id and not is_admin(membership.organisation, actor):
        raise NotAllowed(_("Only an administrator of the organisation can remove a member."))
    admins = Membership.objects.filter(organisation=membership.organisation_id, is_admin=True)
    if membership.is_admin and not admins.exclude(pk=membership.pk).exists():
        raise NotAllowed(_("The last administrator cannot leave: make another member an administrator first."))
    membership.delete()


@transaction.atomic
def membership_make_admin(*, membership: Membership, actor) -> Membership:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if not is_admin(membership.organisation, actor):
        raise NotAllowed(_("Only an administrator of the organisation can name administrators."))
    membership.is_admin = True
    membership.save(update_fields=["is_admin"])
    return membership


@transaction.atomic
def organisation_decide(*, organisation: Organisation, moderator, verify: bool, note: str) -> Organisation:
    """
    A moderator verifies the organisation (its members may then comment on its behalf, shown with the
    mark) or declines it, with a note kept on it; never a moderator who belongs to it. Its
    administrators are emailed the decision.
    """
    if not moderator.has_perm("dialogue.verify_organisation"):
        raise NotAllowed(_("Only a moderator can verify organisations."))
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if is_member(organisation, moderator):
        raise NotAllowed(_("You belong to this organisation: another moderator verifies it."))
    if organisation.status != Organisation.Status.PENDING:
        raise NotAllowed(_("This organisation was already verified or declined."))
    note = clean_body(note)
    if not note:
        raise NotAllowed(_("Write a note on what you checked: it is kept with the decision."))
    organisation.status = Organisation.Status.VERIFIED if verify else Organisation.Status.DECLINED
    organisation.decided_by = moderator
    organisation.decided_by_name = _actor_name(moderator)
    organisation.decided_at = timezone.now()
    organisation.decision_note = note
    organisation.save(update_fields=["status", "decided_by", "decided_by_name", "decided_at", "decision_note"])
    for membership in organisation.memberships.filter(is_admin=True).select_related("user__stakeholder"):
        _send_decision(organisation, membership.user)
    # The mark beside its comments follows its state, on every cached page.
    invalidate_public_pages()
    return organisation


def _send_decision(organisation: Organisation, user) -> None:
    if not user.email:
        return
    with translation.override(preferred_language(user)):
        context = {
            "organisation": organisation,
            "name": _actor_name(user),
            "url": settings.PORTAL_URL + organisation.get_absolute_url(),
        }
        subject = email_subject(render_to_string("dialogue/email/organisation_decided_subject.txt", context))
        body = render_to_string("dialogue/email/organisation_decided_message.txt", context)
        from_email = sender()
    send_mail(subject, body, from_email, [user.email])
