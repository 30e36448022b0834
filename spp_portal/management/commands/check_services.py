"""
Check that the services the portal depends on answer: the database, the cache, email, and the
outbox's broker when one is configured.

Why it exists: `manage.py check` reads the settings but never connects to anything. Before an
app server joins the load balancer (and after changing DATABASE_URL, REDIS_URL or EMAIL_HOST),
run this to learn at once, with a message naming the service, what a visitor would otherwise
meet as a 500 or an email that never arrives. It exits non-zero when a service fails.
It changes nothing but one short-lived cache key.
"""

from django.conf import settings
from django.core.cache import cache
from django.core.mail import get_connection
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from django.utils.crypto import get_random_string

from spp_portal import health

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


class Command(BaseCommand):
    help = "Check that the database answers, the cache round-trips and email can be sent; non-zero exit on failure."

    def handle(self, *args, verbosity, **options):
        failures = []
        for name, check in [
            ("database", self.check_database),
            ("cache", self.check_cache),
            ("email", self.check_email),
            *([("broker", self.check_broker)] if settings.CELERY_BROKER_URL else []),
        ]:
            try:
                detail = check()
            except Exception as error:  # whatever a service raises, it is reported by name
                failures.append(f"{name}: {error}")
                if verbosity >= 1:
                    self.stdout.write(self.style.ERROR(f"{name:<9} FAILED  {error}"))
            else:
                if verbosity >= 1:
                    self.stdout.write(
                        self.style.SUCCESS(f"{name:<9} ok") + (f"      {detail}" if verbosity >= 2 else "")
                    )
        if failures:
            raise CommandError("Some services failed:\n  " + "\n  ".join(failures))

    def check_database(self) -> str:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except DatabaseError as error:
            raise DatabaseError(f"the database does not answer ({error}). Check DATABASE_URL.") from error
        return f"{connection.vendor} database {connection.settings_dict['NAME']}"

    def check_cache(self) -> str:
        key, value = f"check-services:{get_random_string(12)}", get_random_string(12)
        backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
        # The fail-soft Redis cache never raises (pages must render without it): ask it directly.
        problem = cache.ping() if hasattr(cache, "ping") else None
        if problem:
            raise RuntimeError(f"{backend} is unreachable ({problem}). Check REDIS_URL.")
        try:
            cache.set(key, value, 30)
            stored = cache.get(key)
            cache.delete(key)
        except Exception as error:
            raise RuntimeError(f"{backend} is unreachable ({error}). Check REDIS_URL.") from error
        if stored != value:
            raise RuntimeError(f"{backend} did not give back what was stored. Check REDIS_URL or DJANGO_CACHE_DIR.")
        return backend

    def check_email(self) -> str:
        # Requests only write the outbox; what matters is the backend its worker delivers with.
        delivery = settings.OUTBOX_DELIVERY_BACKEND
        if delivery != SMTP_BACKEND:
            if not settings.DEBUG:
                raise RuntimeError(f"mail is not sent ({delivery}): set EMAIL_HOST to the SMTP server in production.")
            return f"{delivery.rsplit('.', 2)[-2]} backend: mail is printed, not sent (development)"
        mail = get_connection(delivery, fail_silently=False)
        try:
            mail.open()
        except Exception as error:
            raise RuntimeError(
                f"cannot open an SMTP connection to {settings.EMAIL_HOST}:{settings.EMAIL_PORT} ({error}). "
                "Check EMAIL_HOST, EMAIL_PORT, EMAIL_USE_TLS and the credentials."
            ) from error
        finally:
            mail.close()
        return f"SMTP {settings.EMAIL_HOST}:{settings.EMAIL_PORT}"

    def check_broker(self) -> str:
        if health.broker()["state"] != health.OK:
            raise RuntimeError("the outbox's broker does not answer. Check CELERY_BROKER_URL (mail waits meanwhile).")
        return "Celery broker answers"
