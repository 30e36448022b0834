"""The conversation: who takes part, what they say, and what moderators decide."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Stakeholder(models.Model):
    """A participant's public profile. The display name, never the email, is shown beside comments."""

    class Country(models.TextChoices):
        CANADA = "CA", _("Canada")
        MEXICO = "MX", _("Mexico")
        UNITED_STATES = "US", _("United States")
        OTHER = "OT", _("Other")

    class Sector(models.TextChoices):
        BUSINESS = "business", _("Business")
        INDUSTRY_ASSOCIATION = "industry", _("Industry association")
        LABOUR = "labour", _("Labour")
        CIVIL_SOCIETY = "civil_society", _("Civil society")
        ACADEMIA = "academia", _("Academia")
        GOVERNMENT = "government", _("Government")
        INDIVIDUAL = "individual", _("Individual")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stakeholder", verbose_name=_("user")
    )
    display_name = models.CharField(
        _("display name"), max_length=80, help_text=_("Shown publicly beside your comments.")
    )
    country = models.CharField(_("country"), max_length=2, choices=Country.choices, default=Country.OTHER)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices, default=Sector.INDIVIDUAL)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=2, choices=settings.LANGUAGES, default="en"
    )
    terms_version = models.CharField(_("terms version accepted"), max_length=20, blank=True)
    terms_accepted_at = models.DateTimeField(_("terms accepted at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stakeholder")
        verbose_name_plural = _("stakeholders")

    def __str__(self):
        return self.display_name
