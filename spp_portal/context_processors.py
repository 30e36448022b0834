from django.conf import settings


def portal(request):
    """What every page's layout needs: the languages (switcher, hreflang links), the terms' version, the contact."""
    return {
        "PORTAL_LANGUAGES": settings.LANGUAGES,
        "TERMS_VERSION": settings.TERMS_VERSION,
        "PORTAL_CONTACT_EMAIL": settings.PORTAL_CONTACT_EMAIL,
    }
