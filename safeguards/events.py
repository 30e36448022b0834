"""
The security event log: one JSON line per event on the `spp_portal.security` logger.

Each line carries the event name (`event`, also the message), the account it concerns
(`account_id`) and the fields given here; the log configuration (spp_portal/logs.py) adds the
time, the request id, the signed-in user making the request (`user_id`) and the client's
address (`client_ip`), so an event can be followed across the load balancer, the app server
and the moderation log. A password, a one-time code, a secret or a token is never logged:
fields so named are dropped here, whoever passes them.

Most events come from allauth's and Django's signals (safeguards/receivers.py); the rest are
logged where they happen, by calling `security_event` with one of the names below.
"""

import logging
import re

logger = logging.getLogger("spp_portal.security")

# Signing in and out.
LOGIN_SUCCEEDED = "login.succeeded"
LOGIN_FAILED = "login.failed"  # a wrong password (or an unknown account)
LOGIN_LOCKED_OUT = "login.locked_out"  # refused by the failed-login rate limit
LOGOUT = "logout"
SESSION_IDLE_TIMEOUT = "session.idle_timeout"  # an official's session ended after inactivity
REAUTHENTICATED = "reauthentication.succeeded"
# Two-factor authentication.
MFA_FAILED = "mfa.failed"  # a wrong authenticator or recovery code
MFA_ADDED = "mfa.added"
MFA_REMOVED = "mfa.removed"
MFA_RESET = "mfa.reset"  # recovery codes regenerated
# Credentials and addresses.
PASSWORD_CHANGED = "password.changed"  # noqa: S105 - event names, not passwords
PASSWORD_SET = "password.set"  # noqa: S105
PASSWORD_RESET = "password.reset"  # noqa: S105
EMAIL_ADDED = "email.added"
EMAIL_CONFIRMED = "email.confirmed"
EMAIL_CHANGED = "email.changed"  # a new primary address
EMAIL_REMOVED = "email.removed"
# Rights.
ROLE_GRANTED = "role.granted"  # a group (Moderators, Publishers), staff or superuser status
ROLE_REVOKED = "role.revoked"
# Accounts and keys.
ACCOUNT_DELETED = "account.deleted"
API_KEY_CREATED = "api_key.created"  # for the API's keys: security_event(API_KEY_CREATED, user=owner, key_id=…)
API_KEY_REVOKED = "api_key.revoked"
# Abuse.
RATE_LIMITED = "ratelimit.exceeded"

# Field names that could hold a secret: "password", "code", "otp", "secret", "token", "key", "api_key"…
_SECRET_FIELD = re.compile(r"password|secret|token|code|otp|(^|_)key$", re.IGNORECASE)


def security_event(event: str, *, user=None, request=None, level: int = logging.INFO, **fields) -> None:
    """
    Log `event` about `user`'s account (if any) with `fields`, never any secret among them. `request`
    (as signals pass it) names the request when the event is logged after it, e.g. on commit.
    """
    extra = {key: value for key, value in fields.items() if not _SECRET_FIELD.search(key)}
    extra["event"] = event
    extra["account_id"] = getattr(user, "pk", None)
    if request is not None:
        extra["request"] = request  # read by the log filter for the request id and address, not written out
    logger.log(level, event, extra=extra)
