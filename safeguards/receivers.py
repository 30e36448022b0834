"""
allauth's and Django's account signals, written to the security event log (safeguards/events.py).

Logging only: no receiver here changes anything. Failed and rate-limited sign-ins have no signal
in allauth; the account adapter (dialogue/adapter.py) logs them from its hooks. `connect()` runs
from SafeguardsConfig.ready(): the signals' modules import models, which must wait for it.
"""

from django.contrib.auth import get_user_model

from . import events
from .events import security_event


def connect() -> None:
    from allauth.account import signals as account_signals
    from allauth.mfa import signals as mfa_signals
    from django.contrib.auth.signals import user_logged_out
    from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

    user_model = get_user_model()
    for signal, receiver, sender in [
        (account_signals.user_logged_in, _logged_in, None),
        (user_logged_out, _logged_out, None),
        (account_signals.authentication_step_completed, _step_completed, None),
        (mfa_signals.authentication_failed, _mfa_failed, None),
        (mfa_signals.authenticator_added, _mfa_added, None),
        (mfa_signals.authenticator_removed, _mfa_removed, None),
        (mfa_signals.authenticator_reset, _mfa_reset, None),
        (account_signals.password_changed, _password_changed, None),
        (account_signals.password_set, _password_set, None),
        (account_signals.password_reset, _password_reset, None),
        (account_signals.email_added, _email_added, None),
        (account_signals.email_confirmed, _email_confirmed, None),
        (account_signals.email_changed, _email_changed, None),
        (account_signals.email_removed, _email_removed, None),
        (m2m_changed, _groups_changed, user_model.groups.through),
        (pre_save, _remember_flags, user_model),
        (post_save, _flags_changed, user_model),
        (post_delete, _account_deleted, user_model),
    ]:
        signal.connect(receiver, sender=sender, dispatch_uid=f"safeguards.{receiver.__name__}")


def _logged_in(sender, request, user, **kwargs):
    security_event(events.LOGIN_SUCCEEDED, request=request, user=user)


def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        security_event(events.LOGOUT, request=request, user=user)


def _step_completed(sender, request, user, method, **kwargs):
    if kwargs.get("reauthenticated"):
        security_event(events.REAUTHENTICATED, request=request, user=user, method=method)


def _mfa_failed(sender, request, user, authenticator, reauthentication=False, **kwargs):
    security_event(
        events.MFA_FAILED,
        request=request,
        user=user,
        authenticator=authenticator.type,
        reauthentication=reauthentication,
    )


def _mfa_added(sender, request, user, authenticator, **kwargs):
    security_event(events.MFA_ADDED, request=request, user=user, authenticator=authenticator.type)


def _mfa_removed(sender, request, user, authenticator, **kwargs):
    security_event(events.MFA_REMOVED, request=request, user=user, authenticator=authenticator.type)


def _mfa_reset(sender, request, user, authenticator, **kwargs):
    security_event(events.MFA_RESET, request=request, user=user, authenticator=authenticator.type)


def _password_changed(sender, request, user, **kwargs):
    security_event(events.PASSWORD_CHANGED, request=request, user=user)


def _password_set(sender, request, user, **kwargs):
    security_event(events.PASSWORD_SET, request=request, user=user)


def _password_reset(sender, request, user, **kwargs):
    security_event(events.PASSWORD_RESET, request=request, user=user)


# Addresses are personal data: the log names the address record, not the address.
def _email_added(sender, request, user, email_address, **kwargs):
    security_event(events.EMAIL_ADDED, request=request, user=user, email_address_id=email_address.pk)


def _email_confirmed(sender, request, email_address, **kwargs):
    security_event(events.EMAIL_CONFIRMED, request=request, user=email_address.user, email_address_id=email_address.pk)


def _email_changed(sender, request, user, from_email_address, to_email_address, **kwargs):
    security_event(
        events.EMAIL_CHANGED,
        request=request,
        user=user,
        from_email_address_id=getattr(from_email_address, "pk", None),
        to_email_address_id=to_email_address.pk,
    )


def _email_removed(sender, request, user, email_address, **kwargs):
    security_event(events.EMAIL_REMOVED, request=request, user=user, email_address_id=email_address.pk)


# --- Rights: groups (Moderators, Publishers), staff and superuser status --------------------
# However they change — manage.py grant_role / revoke_role, the admin, a shell — these catch it.


def _groups_changed(sender, instance, action, reverse, pk_set, **kwargs):
    # kwargs["model"] is the class of the objects added or removed: Group, or the user model (reverse).
    if action == "pre_clear":
        # After the clear the removed groups are gone: remember them now.
        instance._safeguards_cleared = list(
            instance.user_set.values_list("pk", flat=True) if reverse else instance.groups.values_list("pk", flat=True)
        )
        return
    if action == "post_clear":
        pk_set = set(getattr(instance, "_safeguards_cleared", []))
    elif action not in ("post_add", "post_remove"):
        return
    event = events.ROLE_GRANTED if action == "post_add" else events.ROLE_REVOKED
    if reverse:  # group.user_set.add(user, …)
        for user in kwargs["model"].objects.filter(pk__in=pk_set or ()):
            security_event(event, user=user, role=instance.name)
    else:  # user.groups.add(group, …)
        for name in kwargs["model"].objects.filter(pk__in=pk_set or ()).values_list("name", flat=True):
            security_event(event, user=instance, role=name)


_FLAGS = ("is_staff", "is_superuser")


def _remember_flags(sender, instance, update_fields=None, **kwargs):
    if instance.pk is None or (update_fields is not None and not set(update_fields) & set(_FLAGS)):
        return  # a new account, or a save that cannot change them (e.g. last_login at sign-in)
    instance._safeguards_flags = sender.objects.filter(pk=instance.pk).values(*_FLAGS).first()


def _flags_changed(sender, instance, created, **kwargs):
    before = getattr(instance, "_safeguards_flags", None)
    if created:
        before = dict.fromkeys(_FLAGS, False)
    if before is None:
        return
    instance._safeguards_flags = None
    for flag in _FLAGS:
        now = getattr(instance, flag)
        if now != before[flag]:
            role = flag.removeprefix("is_")
            security_event(events.ROLE_GRANTED if now else events.ROLE_REVOKED, user=instance, role=role)


def _account_deleted(sender, instance, **kwargs):
    security_event(events.ACCOUNT_DELETED, user=instance)
