"""
/sitemap.xml: every public page, in English, French and Spanish, with hreflang alternates.

Django's sitemap framework with i18n=True lists each page once per language (under its
language prefix), and alternates=True with x_default adds the <xhtml:link rel="alternate"
hreflang="..."> links between them. Pages behind a sign-in (accounts, my submissions,
moderation) are not public and are not listed; robots.txt (spp_portal/views.py) points here.
"""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from priorities.models import OutcomeReport, Priority, Statement


class PortalSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True


class StaticPagesSitemap(PortalSitemap):
    changefreq = "weekly"

    def items(self):
        return [
            "home",
            "priorities:priority-list",
            "priorities:statement-list",
            "search",
            "dialogue:participation",
            "dialogue:open-data",
            "dialogue:moderation-policy",
            "privacy",
            "terms",
            "accessibility",
        ]

    def location(self, name):
        return reverse(name)


class StatementSitemap(PortalSitemap):
    changefreq = "daily"

    def items(self):
        return Statement.objects.published().order_by("-release_date", "pk")

    def lastmod(self, statement):
        return statement.updated_at


class PrioritySitemap(PortalSitemap):
    changefreq = "weekly"

    def items(self):
        return Priority.objects.all()


class StatementParticipationSitemap(StatementSitemap):
    def location(self, statement):
        return reverse("dialogue:participation-statement", kwargs={"slug": statement.slug})


class PriorityParticipationSitemap(PrioritySitemap):
    def location(self, priority):
        return reverse("dialogue:participation-priority", kwargs={"slug": priority.slug})


class OutcomeReportSitemap(PortalSitemap):
    """Published "What we heard" reports: frozen once published, so their last change is their publication."""

    changefreq = "yearly"

    def items(self):
        return OutcomeReport.objects.published().select_related("statement").order_by("-published_at", "pk")

    def lastmod(self, report):
        return report.published_at


SITEMAPS = {
    "pages": StaticPagesSitemap,
    "statements": StatementSitemap,
    "priorities": PrioritySitemap,
    "statement-participation": StatementParticipationSitemap,
    "what-we-heard": OutcomeReportSitemap,
    "priority-participation": PriorityParticipationSitemap,
}
