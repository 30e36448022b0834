"""
Atom feed of published statements and of their "What we heard" reports, in the reader's language
(the URL's language prefix).
"""

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import OutcomeReport, Statement

FEED_ITEMS = 30


class StatementsFeed(Feed):
    feed_type = Atom1Feed
    title = _("North American Dialogue Portal: statements")
    subtitle = _("Joint statements of the ministers of Canada, Mexico and the United States, newest first.")

    def link(self):
        return reverse("priorities:statement-list")

    def feed_url(self):
        return reverse("priorities:statement-feed")

    def items(self):
        """The newest statements and outcome reports together, each announced when it was published."""
        statements = list(Statement.objects.published().order_by("-published_at", "-pk")[:FEED_ITEMS])
        reports = list(
            OutcomeReport.objects.published().select_related("statement").order_by("-published_at", "-pk")[:FEED_ITEMS]
        )
        return sorted(statements + reports, key=lambda item: item.published_at, reverse=True)[:FEED_ITEMS]

    def item_title(self, item):
        if isinstance(item, OutcomeReport):
            return gettext("What we heard: %(title)s") % {"title": item.statement.title}
        return item.title

    def item_description(self, item):
        if isinstance(item, OutcomeReport):
            return item.summary_html()
        return item.summary or item.body_html()

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at
