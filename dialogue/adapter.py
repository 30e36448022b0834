"""django-allauth adapter: every user has a stakeholder profile, and email speaks their language."""

import logging
from email.utils import parseaddr

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.core import context as allauth_context
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_str
from django.utils.translation import gettext

from safeguards import events
from safeguards.clientip import client_ip
from safeguards.events import security_event

from .models import Stakeholder


def ensure_stakeholder(user) -> Stakeholder:
    """The profile of `user`, created from what we know if it is missing (e.g. a createsuperuser account)."""
    stakeholder, _ = Stakeholder.objects.get_or_create(
        user=user,
        defaults={
            "display_name": user.get_full_name() or user.get_username(),
            "preferred_language": translation.get_language() or "en",
        },
    )
    return stakeholder


def _login_of(credentials) -> str | None:
    """The address someone tried to sign in as; None if it is no address (a password typed in the wrong box)."""
    login = str(credentials.get("email") or credentials.get("username") or "")
    return login[:254] if "@" in login else None


def user_display(user) -> str:
    """How allauth names a user in its messages: their public display name, never the username."""
    stakeholder = getattr(user, "stakeholder", None)
    return stakeholder.display_name if stakeholder else user.email


def preferred_language(user) -> str:
    stakeholder = getattr(user, "stakeholder", None) if user is not None and user.pk else None
    return stakeholder.preferred_language if stakeholder else (translation.get_language() or "en")


def portal_name() -> str:
    """The portal's name in the active language: every email's sender name and subject carry it."""
    return gettext("North American Dialogue Portal")


def sender() -> str:
    """
    The From of every email the portal sends: the portal's name in the active language (the
    recipient's, see preferred_language) at DEFAULT_FROM_EMAIL's address, e.g.
    "Portail du dialogue nord-américain <dialogue@…>".
    """
    # Not email.utils.formataddr: it would encode the accents here; Django encodes the header itself.
    name = portal_name().replace("\\", "").replace('"', "")
    return f'"{name}" <{parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}>'


def email_subject(subject) -> str:
    """Every email's subject: the portal's name, then what the email is about."""
    return f"[{portal_name()}] {' '.join(force_str(subject).split())}"


def _recipient(email: str, context: dict):
    """The account an allauth email is for: the context's user, else the account that owns the address."""
    if context.get("user") is not None:
        return context["user"]
    address = EmailAddress.objects.filter(email__iexact=email).select_related("user__stakeholder").first()
    return address.user if address else None


class AccountAdapter(DefaultAccountAdapter):
    def login(self, request, user):
        ensure_stakeholder(user)
        super().login(request, user)

    def get_client_ip(self, request) -> str:
        # The address behind the trusted proxies (TRUSTED_PROXY_COUNT): allauth's rate limits then
        # count each client on its own, not everyone behind the load balancer as one.
        return client_ip(request) or super().get_client_ip(request)

    def pre_authenticate(self, request, **credentials):
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            security_event(events.LOGIN_LOCKED_OUT, level=logging.WARNING, login=_login_of(credentials))
            raise

    def authentication_failed(self, request, **credentials):
        super().authentication_failed(request, **credentials)
        security_event(events.LOGIN_FAILED, login=_login_of(credentials))

    def send_confirmation_mail(self, request, emailconfirmation, signup):
        # The verification link is built before send_mail: build it in the stakeholder's language too.
        with translation.override(preferred_language(emailconfirmation.email_address.user)):
            super().send_confirmation_mail(request, emailconfirmation, signup)

    def format_email_subject(self, subject):
        # The portal's name in the recipient's language (send_mail below runs in it), never the host name.
        return email_subject(subject)

    def get_from_email(self):
        # The sender's name in the recipient's language (send_mail below runs in it).
        return sender()

    def send_password_reset_mail(self, user, email, context):
        # allauth built the link under the page's language: build it again under the account's.
        with translation.override(preferred_language(user)):
            url = self.get_reset_password_from_key_url(f"{context['uid']}-{context['key']}")
            super().send_password_reset_mail(user, email, {**context, "password_reset_url": url})

    def send_account_already_exists_mail(self, email):
        # Its links (sign in, reset the password) are built before send_mail: in the owner's language too.
        with translation.override(preferred_language(_recipient(email, {}))):
            super().send_account_already_exists_mail(email)

    def send_notification_mail(self, template_prefix, user, context=None, email=None):
        # allauth does not hand the user to the notification's template: the greeting names them and
        # send_mail finds their language through it.
        super().send_notification_mail(template_prefix, user, {**(context or {}), "user": user}, email)

    def send_mail(self, template_prefix, email, context):
        # Links in the email carry the recipient's language prefix, and the text is in that language:
        # the one on their profile (for "you already have an account" too, found by the address), the
        # page's for an address with no account. Not allauth's send_mail: its `current_site` (the
        # host name the portal's templates never show) fails when allauth sends a notice from an
        # on-commit callback that runs after the request (two-factor set-up).
        user = _recipient(email, context)
        with translation.override(preferred_language(user)):
            context = {
                "request": allauth_context.request,
                "email": email,
                **context,
                "user": user,
                "name": user_display(user) if user is not None else "",
                "contact_email": settings.PORTAL_CONTACT_EMAIL,
                "portal_url": settings.PORTAL_URL + reverse("home"),
            }
            self.render_mail(template_prefix, email, context).send()
