"""How a statement's conversation is read: a page of threads, each with all its replies."""

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import nh3
from django.core.paginator import Page, Paginator
from django.utils.html import linebreaks, urlize
from django.utils.safestring import SafeString, mark_safe

from .models import Comment, OfficialResponse

THREADS_PER_PAGE = 50
LINK_REL = "nofollow ugc noopener"


@lru_cache(maxsize=4096)
def render_comment_text(text: str) -> SafeString:
    """Plain text to HTML: paragraphs, line breaks and http(s) links, nothing else.

    The text is escaped first (urlize), so any HTML or template syntax in it is shown as
    typed; the sanitiser then keeps only p, br and links with safe schemes, as a second lock.
    """
    html = linebreaks(urlize(text, trim_url_limit=60, nofollow=True, autoescape=True), autoescape=False)
    clean = nh3.clean(
        html,
        tags={"p", "br", "a"},
        attributes={"a": {"href"}},
        url_schemes={"http", "https"},
        link_rel=LINK_REL,
    )
    return mark_safe(clean)  # noqa: S308 - escaped by urlize, then sanitised by nh3


@dataclass
class ThreadPage:
    page: Page
    threads: list[Comment]
    order: str
    language: str


def thread_page(statement, *, page_number=None, order="oldest", language="") -> ThreadPage:
    """One page of top-level threads (approved, or hidden as placeholders) with their replies and responses.

    Four queries whatever the number of comments: count, the page's top-level comments,
    all their replies, and the official responses to any of them.
    """
    roots = Comment.objects.shown_in_thread().filter(statement=statement, depth=0).with_public_author()
    if language:
        roots = roots.filter(language=language)
    if order == "newest":
        roots = roots.newest_first()
    page = Paginator(roots, THREADS_PER_PAGE).get_page(page_number)
    threads = list(page.object_list)
    replies = list(
        Comment.objects.shown_in_thread()
        .filter(thread__in=[root.pk for root in threads], depth__gt=0)
        .with_public_author()
    )
    comments = threads + replies
    responses = defaultdict(list)
    for response in OfficialResponse.objects.filter(comment__in=[c.pk for c in comments if c.is_published]):
        responses[response.comment_id].append(response)
    children = defaultdict(list)
    for reply in replies:
        children[reply.parent_id].append(reply)
    for comment in comments:
        comment.children = children[comment.pk]
        comment.official_responses = responses[comment.pk]
    return ThreadPage(page=page, threads=threads, order=order, language=language)
