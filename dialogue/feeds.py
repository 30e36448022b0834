"""
Atom feeds of the conversation, in the reader's language (the URL's language prefix):
the approved comments on one statement, and one priority's activity (the statements that
give it directives, and the approved comments about it).
"""

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from priorities.models import Priority, Statement

from .models import Comment
from .threads import render_comment_text

FEED_ITEMS = 50


def _comment_title(comment):
    return _("%(author)s on “%(statement)s” (%(tracking)s)") % {
        "author": comment.public_author_name(),
        "statement": comment.statement.title,
        "tracking": comment.tracking_number,
    }


def _published(comment):
    # When the comment became public; seeded or legacy rows may lack a decision time.
    return comment.decided_at or comment.submitted_at


class StatementCommentsFeed(Feed):
    """The approved comments on one published statement, newest first."""

    feed_type = Atom1Feed

    def get_object(self, request, slug):
        return get_object_or_404(Statement.objects.published(), slug=slug)

    def title(self, statement):
        return _("Comments on “%(statement)s”") % {"statement": statement.title}

    def subtitle(self, statement):
        return _("Comments published after moderation on the North American Dialogue Portal.")

    def link(self, statement):
        return statement.get_absolute_url()

    def feed_url(self, statement):
        return reverse("dialogue:statement-comments-feed", kwargs={"slug": statement.slug})

    def items(self, statement):
        return (
            Comment.objects.published()
            .filter(statement=statement)
            .with_public_author()
            .select_related("statement")
            .newest_first()[:FEED_ITEMS]
        )

    def item_title(self, comment):
        return _comment_title(comment)

    def item_description(self, comment):
        return render_comment_text(comment.body)

    def item_link(self, comment):
        return comment.get_absolute_url()

    def item_author_name(self, comment):
        return comment.public_author_name()

    def item_pubdate(self, comment):
        return _published(comment)

    def item_updateddate(self, comment):
        return comment.edited_at or _published(comment)


class PriorityActivityFeed(Feed):
    """One priority's activity: statements giving it directives, and approved comments about it."""

    feed_type = Atom1Feed

    def get_object(self, request, slug):
        return get_object_or_404(Priority, slug=slug)

    def title(self, priority):
        return _("Activity on “%(priority)s”") % {"priority": priority.title}

    def subtitle(self, priority):
        return _("Statements with directives under this priority, and the comments published about it.")

    def link(self, priority):
        return priority.get_absolute_url()

    def feed_url(self, priority):
        return reverse("dialogue:priority-activity-feed", kwargs={"slug": priority.slug})

    def items(self, priority):
        statements = list(
            Statement.objects.published()
            .filter(directives__priority=priority)
            .distinct()
            .order_by("-published_at", "-pk")[:FEED_ITEMS]
        )
        comments = list(
            Comment.objects.published()
            .filter(priority=priority)
            .with_public_author()
            .select_related("statement")
            .newest_first()[:FEED_ITEMS]
        )
        items = statements + comments
        items.sort(key=self.item_pubdate, reverse=True)
        return items[:FEED_ITEMS]

    def item_title(self, item):
        if isinstance(item, Comment):
            return _comment_title(item)
        return _("Statement: %(title)s") % {"title": item.title}

    def item_description(self, item):
        if isinstance(item, Comment):
            return render_comment_text(item.body)
        return item.summary or item.body_html()

    def item_link(self, item):
        return item.get_absolute_url()

    def item_author_name(self, item):
        return item.public_author_name() if isinstance(item, Comment) else None

    def item_pubdate(self, item):
        return _published(item) if isinstance(item, Comment) else item.published_at
