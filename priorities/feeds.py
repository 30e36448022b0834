"""Atom feed of published statements, in the reader's language (the URL's language prefix)."""

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from .models import Statement

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
        return Statement.objects.published().order_by("-published_at", "-pk")[:FEED_ITEMS]

    def item_title(self, statement):
        return statement.title

    def item_description(self, statement):
        return statement.summary or statement.body_html()

    def item_pubdate(self, statement):
        return statement.published_at

    def item_updateddate(self, statement):
        return statement.updated_at
