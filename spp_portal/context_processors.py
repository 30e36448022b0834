from django.conf import settings


def portal(request):
    """What every page's layout needs: the languages, for the switcher and hreflang links."""
    return {"PORTAL_LANGUAGES": settings.LANGUAGES, "TERMS_VERSION": settings.TERMS_VERSION}
