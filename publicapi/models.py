"""API keys: a signed-in person's credential for the public API's higher limit."""

import hashlib
import hmac
import re
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# spp_<prefix>_<secret>: the prefix finds the row (and is shown to the owner); only the secret's hash is kept.
TOKEN_PREFIX = "spp"  # noqa: S105 - the public label every key begins with, not a secret
PREFIX_LENGTH = 10
SECRET_BYTES = 32
PREFIX_SHAPE = re.compile(f"[0-9a-f]{{{PREFIX_LENGTH}}}")


def hash_secret(secret: str) -> str:
    """SHA-256 of the key's secret part: it has 256 random bits, so no slow hash is needed."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("owner")
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=20, unique=True)
    secret_hash = models.CharField(_("secret's SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    request_count = models.PositiveBigIntegerField(_("requests"), default=0)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self):
        return f"{self.name} ({self.display_prefix})"

    @property
    def display_prefix(self) -> str:
        return f"{TOKEN_PREFIX}_{self.prefix}_…"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def generate(cls, *, owner, name: str) -> tuple["ApiKey", str]:
        """A new key and its full token, which is shown once and never stored."""
        prefix = secrets.token_hex(PREFIX_LENGTH // 2)
        secret = secrets.token_urlsafe(SECRET_BYTES)
        key = cls.objects.create(owner=owner, name=name, prefix=prefix, secret_hash=hash_secret(secret))
        return key, f"{TOKEN_PREFIX}_{prefix}_{secret}"

    @classmethod
    def find(cls, token: str) -> "ApiKey | None":
        """The active key this token is, or None (unknown, malformed, wrong secret or revoked)."""
        parts = token.strip().split("_", 2)
        if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not PREFIX_SHAPE.fullmatch(parts[1]):
            return None
        key = cls.objects.active().filter(prefix=parts[1]).first()
        if key is None or not hmac.compare_digest(key.secret_hash, hash_secret(parts[2])):
            return None
        return key
