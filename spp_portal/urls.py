import datetime
from functools import wraps

from allauth.account import views as account_views
from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.db import transaction
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from publicapi.api import api

from . import search, views
from .sitemaps import SITEMAPS

# The day the accessibility statement was last checked against the portal (shown on it).
ACCESSIBILITY_REVIEWED = datetime.date(2026, 11, 29)

# The admin's own login would bypass allauth's rate limits and MFA: send it through allauth.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = _("North American Dialogue Portal")
admin.site.site_title = _("North American Dialogue Portal")

# An unavailable database answers 503 with Retry-After, whichever part of the request met it.
handler500 = "spp_portal.unavailable.server_error"


def atomic_post(view):
    """
    The sign-in library's forms that change an account and email about it (sign-up, password reset,
    email addresses) run their POST in one transaction: the account change and its email's outbox
    row commit together, or neither does. GETs stay outside (on SQLite a transaction takes the lock).
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "POST":
            return view(request, *args, **kwargs)
        with transaction.atomic():
            return view(request, *args, **kwargs)

    return wrapper


# Listed before allauth's own URLs, under the same paths and names, so these are the ones resolved.
ACCOUNT_FORMS_THAT_EMAIL = [
    path("accounts/signup/", atomic_post(account_views.signup), name="account_signup"),
    path("accounts/password/reset/", atomic_post(account_views.password_reset), name="account_reset_password"),
    path("accounts/email/", atomic_post(account_views.email), name="account_email"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path(".well-known/security.txt", views.security_txt, name="security-txt"),
    path("csp-report", views.csp_report, name="csp-report"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    # The public API, without a language prefix (?lang= or Accept-Language chooses the texts' language).
    path("api/v1/", api.urls),
]

urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    path("search/", search.search_view, name="search"),
    path("", include("priorities.urls")),
    path("", include("dialogue.urls")),
    path("", include("publicapi.urls")),
    *ACCOUNT_FORMS_THAT_EMAIL,
    path("accounts/", include("allauth.urls")),
    path("privacy/", TemplateView.as_view(template_name="pages/privacy.html"), name="privacy"),
    path("terms/", TemplateView.as_view(template_name="pages/terms.html"), name="terms"),
    path(
        "accessibility/",
        TemplateView.as_view(
            template_name="pages/accessibility.html", extra_context={"reviewed": ACCESSIBILITY_REVIEWED}
        ),
        name="accessibility",
    ),
    prefix_default_language=True,
)

if settings.BENCHMARK:
    # `make bench` (tools/bench.py): a bare template page through the same middleware,
    # the ceiling every page's throughput is compared with. Never in normal runs.
    urlpatterns += i18n_patterns(
        path("benchmark/ceiling/", TemplateView.as_view(template_name="benchmark/ceiling.html")),
        prefix_default_language=True,
    )

if settings.DEBUG:
    # Lets `make run` show the error pages a visitor would see: /404 and /500.
    from django.views.defaults import page_not_found, server_error

    urlpatterns += [
        path("404", page_not_found, {"exception": Exception()}),
        path("500", server_error),
    ]
