"""
`make bench` only (tools/bench.py serves `tools.bench_wsgi:application` with gunicorn): the portal,
and beside it, at /bare/, a bare Django page, in the same processes and the same run.

The bare page is what `django-admin startproject` gives: Django's default middleware list, one
small template rendered with startproject's context processors, no query. It is the ceiling the
issue's targets are ratios of; the portal's own ceiling (its bare template through the portal's
middleware, /en/benchmark/ceiling/ with SPP_BENCHMARK=1) is measured beside it. Production serves
spp_portal.wsgi, which never imports this module: /bare/ exists only here.
"""

import os
from pathlib import Path

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse
from django.template import Engine, RequestContext
from django.urls import path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spp_portal.settings")
portal = get_wsgi_application()

# As `django-admin startproject` writes them (Django 5.2).
STARTPROJECT_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ENGINE = Engine(
    dirs=[Path(__file__).resolve().parent / "bench_templates"],
    context_processors=[
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ],
)
MARKER = "A bare Django page"


def bare(request):
    template = ENGINE.get_template("bare.html")
    return HttpResponse(template.render(RequestContext(request, {"title": MARKER})))


urlpatterns = [path("bare/", bare)]


class BareHandler(WSGIHandler):
    """Django's handler with startproject's middleware and this module's one URL."""

    def load_middleware(self, is_async=False):
        portal_middleware = settings.MIDDLEWARE
        settings.MIDDLEWARE = STARTPROJECT_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = portal_middleware

    def get_response(self, request):
        request.urlconf = __name__
        return super().get_response(request)


bare_django = BareHandler()


def application(environ, start_response):
    if environ.get("PATH_INFO", "").startswith("/bare/"):
        return bare_django(environ, start_response)
    return portal(environ, start_response)
