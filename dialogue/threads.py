"""How a statement's conversation is read: a page of threads, each with all its replies."""

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

import nh3
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.html import linebreaks, urlize
from django.utils.safestring import SafeString, mark_safe

from . import campaigns
from .models import Attachment, Comment, OfficialResponse

# A page of the conversation: whole threads, at most THREADS_PER_PAGE of them and, once the page
# holds a thread, no more than COMMENTS_PER_PAGE comments with their replies (a thread longer than
# that gets a page of its own). So the first view of a 1,000-comment statement stays under 1,500
# elements and 100 kB compressed (issue 17), and "Load more comments", a plain link, gives the next.
THREADS_PER_PAGE = 10
COMMENTS_PER_PAGE = 60
# A thread shows its first REPLIES_PER_THREAD replies (in reading order) and a plain "Show all N
# replies" link to the thread alone (?thread=<its tracking number>), so one long thread cannot
# push the page over that budget either.
REPLIES_PER_THREAD = 20
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


# A reply chain longer than this starts folded (a <details> the reader opens): the thread stays scannable.
REPLIES_SHOWN_OPEN = 3


@dataclass(frozen=True)
class ConversationCounts:
    """What the statement page counts: published comments, those awaiting moderation, and per subject."""

    published: int = 0
    awaiting: int = 0
    # Published comments about each directive and each priority (replies inherit their thread's subject;
    # a comment on a directive is also about its priority).
    on_directive: dict = field(default_factory=dict)
    on_priority: dict = field(default_factory=dict)


def conversation_counts(statement) -> ConversationCounts:
    """One query whatever the number of comments: published and pending ones, grouped by subject."""
    rows = (
        (Comment.objects.published() | Comment.objects.pending())
        .filter(statement=statement)
        .order_by()
        .values_list("status", "directive_id", "priority_id")
        .annotate(n=Count("*"))
    )
    published = awaiting = 0
    on_directive, on_priority = defaultdict(int), defaultdict(int)
    for status, directive_id, priority_id, n in rows:
        if status == Comment.Status.PENDING:
            awaiting += n
            continue
        published += n
        if directive_id:
            on_directive[directive_id] += n
        if priority_id:
            on_priority[priority_id] += n
    return ConversationCounts(published, awaiting, dict(on_directive), dict(on_priority))


@dataclass
class ThreadPage:
    page: Page  # a page of pages: page.number, page.has_next... (see thread_page)
    threads: list[Comment]
    order: str
    language: str
    directive: object = None
    priority: object = None
    count: int = 0  # top-level threads matching the filters, on every page
    whole: str = ""  # the tracking number of the one thread shown whole (?thread=), or ""


def thread_pages(sizes: list[tuple[int, int]]) -> list[list[int]]:
    """
    [(top-level comment pk, comments in its thread)] in reading order, cut into pages of whole
    threads: at most THREADS_PER_PAGE threads and COMMENTS_PER_PAGE comments (or one longer thread).
    """
    pages, current, comments = [], [], 0
    for pk, size in sizes:
        if current and (len(current) == THREADS_PER_PAGE or comments + size > COMMENTS_PER_PAGE):
            pages.append(current)
            current, comments = [], 0
        current.append(pk)
        comments += size
    if current:
        pages.append(current)
    return pages


def thread_page(
    statement, *, page_number=None, order="oldest", language="", directive=None, priority=None, whole=""
) -> ThreadPage:
    """One page of top-level threads (approved, or hidden as placeholders) with their replies and responses.

    Four queries whatever the number of comments: every thread's size (to cut pages of whole
    threads, see thread_pages), the page's top-level comments, all their replies, and the official
    responses to any of them. A thread about a directive or priority (its first comment is; replies
    follow it) is kept by the matching filter. Each thread shows its first REPLIES_PER_THREAD replies
    (`root.replies_hidden` counts the others), unless `whole` names it: then it alone, with all of them.
    """
    roots = Comment.objects.shown_in_thread().filter(statement=statement, depth=0).with_public_author()
    if whole:
        roots = roots.filter(tracking_number=whole)
    # A campaign is read once: its first published member stands for the others ("and N similar submissions").
    collapsed = Q(status=Comment.Status.APPROVED, campaign__isnull=False) & Exists(
        Comment.objects.approved().filter(campaigns.earlier_member(), depth=0)
    )
    roots = roots.exclude(collapsed)
    if language:
        roots = roots.filter(language=language)
    if directive is not None:
        roots = roots.filter(directive=directive)
    if priority is not None:
        roots = roots.filter(priority=priority)
    if order == "newest":
        roots = roots.newest_first()
    elif order == "support":
        roots = roots.order_by("-support_count", "submitted_at", "pk")
    replies_in_thread = (
        Comment.objects.shown_in_thread()
        .filter(thread=OuterRef("pk"), depth__gt=0)
        .order_by()
        .values("thread")
        .annotate(n=Count("*"))
        .values("n")
    )
    sizes = roots.annotate(size=Coalesce(Subquery(replies_in_thread, output_field=IntegerField()), Value(0)) + 1)
    # Pages are cut by what each thread shows: its first replies only.
    sizes = [(pk, min(size, 1 + REPLIES_PER_THREAD)) for pk, size in sizes.values_list("pk", "size")]
    page = Paginator(thread_pages(sizes), 1).get_page(page_number)
    on_page = page.object_list[0] if page.object_list else []
    position = {pk: n for n, pk in enumerate(on_page)}
    on_page_roots = roots.order_by().filter(pk__in=on_page).annotate(campaign_size=campaigns.published_size())
    threads = sorted(on_page_roots, key=lambda root: position[root.pk])
    replies = list(
        Comment.objects.shown_in_thread()
        .filter(thread__in=[root.pk for root in threads], depth__gt=0)
        .with_public_author()
    )
    comments = threads + replies
    responses = defaultdict(list)
    for response in OfficialResponse.objects.filter(comment__in=[c.pk for c in comments if c.is_published]):
        responses[response.comment_id].append(response)
    attach_files(comments)
    children = defaultdict(list)
    for reply in replies:
        children[reply.parent_id].append(reply)
    for comment in comments:
        comment.children = children[comment.pk]
        comment.official_responses = responses[comment.pk]
    for root in threads:
        root.reply_total = _count_replies(root)
        if not whole:
            _keep_first(root, REPLIES_PER_THREAD)
        root.replies_hidden = root.reply_total - _count_replies(root)
    return ThreadPage(
        page=page,
        threads=threads,
        order=order,
        language=language,
        directive=directive,
        priority=priority,
        count=len(sizes),
        whole=whole if threads else "",
    )


def _keep_first(comment, budget: int) -> int:
    """Keep the first `budget` replies below `comment` in reading order (depth first); returns what is left of it."""
    kept = []
    for child in comment.children:
        if budget == 0:
            break
        kept.append(child)
        budget = _keep_first(child, budget - 1)
    comment.children = kept
    return budget


def attach_files(comments: list[Comment]) -> None:
    """
    `comment.files`: each published comment's attachments, in one query, and none at all when no
    comment here has any (Comment.attachment_count), as on most pages.
    """
    with_files = [comment.pk for comment in comments if comment.attachment_count and comment.is_published]
    files = defaultdict(list)
    if with_files:
        for attachment in Attachment.objects.filter(comment__in=with_files).order_by("comment", "number"):
            files[attachment.comment_id].append(attachment)
    for comment in comments:
        comment.files = files[comment.pk]
        for attachment in comment.files:
            attachment.comment = comment


def _count_replies(comment) -> int:
    """Every reply below `comment`, at any depth; long chains start folded."""
    comment.reply_count = sum(1 + _count_replies(child) for child in comment.children)
    comment.replies_open = comment.reply_count <= REPLIES_SHOWN_OPEN
    return comment.reply_count
