"""django-allauth adapter: every user has a stakeholder profile, and email speaks their language."""

import logging

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import ValidationError
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
        # The portal's name in the recipient's language (send_mail below runs in it), not a fixed prefix.
        return f"[{gettext('North American Dialogue Portal')}] {force_str(subject)}"

    def send_mail(self, template_prefix, email, context):
        # Links in the email carry the recipient's language prefix, and the text is in that language.
        with translation.override(preferred_language(context.get("user"))):
            super().send_mail(template_prefix, email, context)
