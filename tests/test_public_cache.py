"""The anonymous page cache: fast for visitors, never stale, never someone else's page."""

import datetime
import gzip
import time

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.core.cache import cache
from django.core.management import call_command
from django.http import HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.template import engines
from django.test import Client
from django.urls import path
from django.utils import timezone

from dialogue import services
from pagecache.cache import GENERATION_KEY, cache_public_page, invalidate_public_pages, public_pages_expire_at
from priorities.models import Statement

from .factories import (
    make_comment,
    make_moderator,
    make_publisher,
    make_statement,
    make_user,
    reauthenticate,
    seed_statement,
)

pytestmark = pytest.mark.django_db


def test_a_cached_page_is_served_without_touching_the_database(client, django_assert_num_queries):
    """The second anonymous visitor of a page costs no SQL query at all."""
    first = client.get("/en/")
    assert first.status_code == 200
    with django_assert_num_queries(0):
        second = client.get("/en/")
    assert second.status_code == 200
    assert second.content == first.content


@pytest.mark.parametrize(
    "url",
    ["/en/", "/en/priorities/", "/en/priorities/competitiveness/", "/en/statements/", "/en/statements/?year=2008"],
)
def test_every_public_page_is_cached(client, django_assert_num_queries, url):
    client.get(url)
    with django_assert_num_queries(0):
        assert client.get(url).status_code == 200


def test_the_statement_page_is_cached(client, django_assert_num_queries):
    url = seed_statement().get_absolute_url()
    client.get(url)
    with django_assert_num_queries(0):
        response = client.get(url)
    assert "areas where there is ongoing work." in response.text


def test_starting_a_generation_costs_exactly_one_query(
    client, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """The next scheduled moment is looked up once per generation, not once per page."""
    client.get("/en/")
    with django_capture_on_commit_callbacks(execute=True):
        invalidate_public_pages()
    with django_assert_num_queries(1):
        public_pages_expire_at()
    with django_assert_num_queries(0):
        public_pages_expire_at()


def test_cached_pages_keep_their_headers_and_vary_on_cookie(client):
    client.get("/en/")
    response = client.get("/en/")
    assert "Cookie" in response["Vary"]
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Content-Language"] == "en"
    assert "Content-Security-Policy" in response
    assert not response.cookies


def test_language_is_part_of_the_key(client, django_assert_num_queries):
    english = client.get("/en/priorities/")
    french = client.get("/fr/priorities/")
    with django_assert_num_queries(0):
        assert client.get("/fr/priorities/").content == french.content
        assert client.get("/en/priorities/").content == english.content
    assert 'lang="fr"' in french.text
    assert english.content != french.content


def test_the_query_string_is_part_of_the_key(client):
    make_statement(title_en="A statement of 2009", release_date=datetime.date(2009, 6, 1))
    assert "A statement of 2009" in client.get("/en/statements/").text
    assert "A statement of 2009" not in client.get("/en/statements/?year=2008").text
    assert "A statement of 2009" in client.get("/en/statements/?year=2009").text


def test_signed_in_readers_never_get_a_cached_page(client, django_assert_max_num_queries):
    client.get("/en/")  # an anonymous visitor warms the cache
    client.force_login(make_user())
    response = client.get("/en/")
    assert "Sign out" in response.text
    assert "Cookie" in response["Vary"]
    with django_assert_max_num_queries(50) as queries:
        client.get("/en/")
    assert len(queries) > 0, "a signed-in page is rendered afresh"


def test_a_signed_in_page_is_never_given_to_anonymous_visitors(client):
    client.force_login(make_user())
    client.get("/en/")
    assert "Sign out" not in Client().get("/en/").text


def test_visitors_with_a_flash_message_cookie_get_a_fresh_page(client, django_assert_max_num_queries):
    client.get("/en/")
    client.cookies["messages"] = "anything"
    with django_assert_max_num_queries(50) as queries:
        client.get("/en/")
    assert len(queries) > 0


def _publisher_client():
    """A publisher in the admin, past the two-factor requirement for officials, password just given again."""
    publisher = make_publisher()
    Authenticator.objects.get_or_create(user=publisher, type=Authenticator.Type.TOTP, defaults={"data": {}})
    client = Client()
    client.force_login(publisher)
    reauthenticate(client)  # publishing and withdrawing ask for it
    return client


def test_publishing_in_the_admin_shows_the_statement_at_once(client, django_capture_on_commit_callbacks):
    draft = make_statement(status=Statement.Status.DRAFT, title_en="Freshly published statement")
    assert "Freshly published statement" not in client.get("/en/statements/").text
    assert "Freshly published statement" not in client.get("/en/").text
    publisher = _publisher_client()
    # English only: the publisher confirms publishing without French and Spanish (translation parity).
    confirmed = {"confirm_parity": "1", "publish_without": [f"{draft.pk}:fr", f"{draft.pk}:es"]}
    with django_capture_on_commit_callbacks(execute=True):
        publisher.post(
            "/admin/priorities/statement/", {"action": "publish", "_selected_action": [draft.pk], **confirmed}
        )
    assert "Freshly published statement" in client.get("/en/statements/").text
    assert "Freshly published statement" in client.get("/en/").text
    assert client.get(draft.get_absolute_url()).status_code == 200


def test_withdrawing_in_the_admin_takes_the_statement_down_at_once(client, django_capture_on_commit_callbacks):
    statement = make_statement(title_en="Soon withdrawn")
    assert client.get(statement.get_absolute_url()).status_code == 200
    publisher = _publisher_client()
    with django_capture_on_commit_callbacks(execute=True):
        publisher.post(
            "/admin/priorities/statement/",
            {
                "action": "withdraw",
                "_selected_action": [statement.pk],
                "confirm_withdrawal": "1",
                "withdrawal_reason_en": "Published in error.",
            },
        )
    assert client.get(statement.get_absolute_url()).status_code == 410
    assert "Soon withdrawn" not in client.get("/en/statements/").text


def test_a_page_stored_before_the_commit_does_not_survive_it(client, django_capture_on_commit_callbacks):
    """A reader may render the old state while the change is being committed: the commit drops it."""
    client.get("/en/")
    with django_capture_on_commit_callbacks(execute=True):
        invalidate_public_pages()
        client.get("/en/")  # rendered and stored before the commit
        stored_during = cache.get(GENERATION_KEY)
    assert stored_during is not None
    assert cache.get(GENERATION_KEY) is None, "the commit ended the generation the old page was stored under"


def test_a_scheduled_statement_appears_at_its_time_even_with_a_warm_cache(client, django_assert_num_queries):
    """The clock is moved, not waited for: the cache's expiry and the publication time read the same clock."""
    published_at = timezone.now() + datetime.timedelta(minutes=2)  # well within PUBLIC_PAGE_CACHE_SECONDS
    make_statement(title_en="Scheduled statement", published_at=published_at)
    assert "Scheduled statement" not in client.get("/en/statements/").text
    with django_assert_num_queries(0):
        assert "Scheduled statement" not in client.get("/en/statements/").text  # the cache is warm
    assert public_pages_expire_at() == published_at.timestamp()
    with time_machine.travel(published_at - datetime.timedelta(seconds=1), tick=False):
        assert "Scheduled statement" not in client.get("/en/statements/").text
    with time_machine.travel(published_at, tick=False):
        assert "Scheduled statement" in client.get("/en/statements/").text


def test_pages_expire_when_the_next_comment_period_opens_or_closes():
    now = timezone.now()
    closing = now + datetime.timedelta(minutes=3)
    make_statement(comments_open_at=now - datetime.timedelta(days=1), comments_close_at=closing)
    make_statement(published_at=now + datetime.timedelta(minutes=7), open_comments=False)
    make_statement(
        comments_open_at=now + datetime.timedelta(minutes=5), comments_close_at=now + datetime.timedelta(days=3)
    )
    make_statement(status=Statement.Status.DRAFT, published_at=now + datetime.timedelta(minutes=1))  # not scheduled
    assert public_pages_expire_at() == closing.timestamp()


def test_pages_expire_after_the_default_time_when_nothing_is_scheduled(settings):
    Statement.objects.update(comments_open_at=None, comments_close_at=None)
    before = time.time()
    expires_at = public_pages_expire_at()
    assert before + settings.PUBLIC_PAGE_CACHE_SECONDS <= expires_at <= time.time() + settings.PUBLIC_PAGE_CACHE_SECONDS


def test_the_page_cache_can_be_turned_off(client, settings, django_assert_max_num_queries):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    client.get("/en/")
    with django_assert_max_num_queries(50) as queries:
        client.get("/en/")
    assert len(queries) > 0


# Pages that belong to one request, served through the whole middleware stack.
_page = engines["django"].from_string("{% for message in messages %}{{ message }}{% endfor %}{{ token }}")
_rendered = []


@cache_public_page
def _page_with_a_flash_message(request):
    messages.info(request, "Thank you for your comment.")
    return _render(request, {})


@cache_public_page
def _page_with_a_csrf_token(request):
    return _render(request, {"token": get_token(request)})


@cache_public_page
def _page_changing_the_session(request):
    request.session["seen"] = True
    return _render(request, {})


@cache_public_page
def _page_anyone_may_see(request):
    return _render(request, {})


@cache_public_page
def _page_not_found(request):
    return _render(request, {}, status=404)


@cache_public_page
def _page_that_redirects(request):
    _render(request, {})
    return HttpResponseRedirect("/public/")


@cache_public_page
def _page_with_an_error(request):
    return _render(request, {}, status=500)


def _render(request, context, status=200):
    _rendered.append(request.path)
    return HttpResponse(_page.render(context, request), status=status)


urlpatterns = [
    path("flash/", _page_with_a_flash_message),
    path("csrf/", _page_with_a_csrf_token),
    path("session/", _page_changing_the_session),
    path("public/", _page_anyone_may_see),
    path("missing/", _page_not_found),
    path("redirect/", _page_that_redirects),
    path("error/", _page_with_an_error),
]


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("url", "renders"),
    [
        ("/flash/", 2),
        ("/csrf/", 2),
        ("/session/", 2),
        ("/public/", 1),
    ],
)
def test_a_page_made_for_one_visitor_is_never_stored(url, renders):
    """A flash message, a CSRF token or a session change make a page someone's own; the rest is shared."""
    _rendered.clear()
    first, second = Client().get(url), Client().get(url)
    assert first.status_code == second.status_code == 200
    assert len(_rendered) == renders


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(("url", "status"), [("/missing/", 404), ("/redirect/", 302), ("/error/", 500)])
def test_only_successful_pages_are_stored(url, status):
    """A 404, a redirect or an error is rendered afresh for the next visitor, never served from the cache."""
    _rendered.clear()
    first, second = Client().get(url), Client().get(url)
    assert first.status_code == second.status_code == status
    assert len(_rendered) == 2
    assert _stored_pages() == 0


def test_a_cached_page_is_sent_gzip_compressed_to_clients_that_accept_it(client):
    """The copy compressed when the page was stored is what a browser gets; others get it as it is."""
    plain = client.get("/en/").content
    compressed = client.get("/en/", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert compressed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed["Vary"] and "Cookie" in compressed["Vary"]
    assert gzip.decompress(compressed.content) == plain
    again = client.get("/en/")
    assert not again.has_header("Content-Encoding") and again.content == plain


def test_unknown_query_parameters_share_the_page_and_never_reach_it(client, django_assert_num_queries):
    """A tracking parameter is the same page: served from the cache, and not echoed into its links."""
    plain = client.get("/en/statements/?year=2008")
    with django_assert_num_queries(0):
        tracked = client.get("/en/statements/?utm_source=newsletter&year=2008&fbclid=abc")
    assert tracked.content == plain.content
    assert "utm_source" not in tracked.text and "fbclid" not in tracked.text


def test_declared_parameters_in_any_order_are_one_page(client, django_assert_num_queries):
    client.get("/en/statements/?year=2008&priority=competitiveness")
    with django_assert_num_queries(0):
        client.get("/en/statements/?priority=competitiveness&year=2008")


@pytest.mark.parametrize("junk", ["abc", "0", "007", "1e9", "99999999", "-1", "2&page=3"])
def test_junk_page_numbers_are_answered_but_never_stored(client, junk):
    """A stream of made-up query strings cannot fill the cache: only well-formed page numbers are stored."""
    for _attempt in range(2):
        response = client.get(f"/en/statements/?page={junk}")
        assert response.status_code in {200, 404}
    assert _stored_pages() == 0


def _stored_pages():
    return sum(":public-pages:page:" in key for key in cache._cache)


def test_a_well_formed_page_number_is_stored(client, django_assert_num_queries):
    client.get("/en/statements/?page=1")
    with django_assert_num_queries(0):
        assert client.get("/en/statements/?page=1").status_code == 200


def test_the_default_file_cache_serves_and_drops_pages(
    client, settings, tmp_path, django_assert_num_queries, django_assert_max_num_queries
):
    """Without REDIS_URL the workers of one server share a file cache: a page stored by one is read by
    the next request, and an invalidation drops it for all of them."""
    settings.CACHES = {
        "default": {
            "BACKEND": "pagecache.backends.FileCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
    from django.core.cache import caches

    assert caches["default"].__class__.__name__ == "FileCache"
    first = client.get("/en/priorities/")
    assert list((tmp_path / "cache").glob("*.djcache")), "the page went to disk"
    with django_assert_num_queries(0):
        assert client.get("/en/priorities/").content == first.content
    invalidate_public_pages()
    with django_assert_max_num_queries(50) as queries:
        client.get("/en/priorities/")
    assert len(queries) > 0, "rendered afresh after the invalidation"


def _fresh_render(client, url, django_assert_max_num_queries) -> bool:
    """True if the page was rendered (queries ran), False if it came from the cache."""
    with django_assert_max_num_queries(100) as queries:
        assert client.get(url).status_code == 200
    return len(queries) > 0


def test_an_approval_on_one_statement_leaves_the_other_statements_pages_cached(
    client, moderator, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    """A change to one conversation drops that statement's page and the pages that list every
    conversation (the home page), not the whole site."""
    here, elsewhere = make_statement(title_en="Here"), make_statement(title_en="Elsewhere")
    comment = make_comment(here, body="Approved here, and only here, at once.")
    pages = [here.get_absolute_url(), elsewhere.get_absolute_url(), "/en/", "/en/priorities/"]
    for url in pages:
        client.get(url)
    assert not any(_fresh_render(client, url, django_assert_max_num_queries) for url in pages)

    with django_capture_on_commit_callbacks(execute=True):
        services.comment_approve(comment=comment, seen=comment.fingerprint, moderator=moderator)

    assert "Approved here, and only here, at once." in client.get(here.get_absolute_url()).text
    assert _fresh_render(client, "/en/", django_assert_max_num_queries), "the home page lists the latest comments"
    assert not _fresh_render(client, elsewhere.get_absolute_url(), django_assert_max_num_queries)
    assert not _fresh_render(client, "/en/priorities/", django_assert_max_num_queries), "the record did not change"


def test_a_change_to_the_record_drops_every_page(
    client, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    statement = make_statement()
    for url in (statement.get_absolute_url(), "/en/priorities/"):
        client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        invalidate_public_pages()
    assert _fresh_render(client, statement.get_absolute_url(), django_assert_max_num_queries)
    assert _fresh_render(client, "/en/priorities/", django_assert_max_num_queries)


def test_shared_fragments_follow_the_same_rule(
    client, moderator, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    """A signed-in reader's page of another statement keeps its cached thread after an approval here:
    it costs no more queries than before (rendering a thread again would cost its own)."""
    here, elsewhere = make_statement(), make_statement()
    comment = make_comment(here, body="A comment approved on the first statement.")
    make_comment(elsewhere, body="A published comment on the other statement.", approve_by=moderator)
    reader = Client()
    reader.force_login(make_user())
    reader.get(elsewhere.get_absolute_url())
    with django_assert_max_num_queries(100) as warm:
        reader.get(elsewhere.get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_approve(comment=comment, seen=comment.fingerprint, moderator=moderator)
    with django_assert_max_num_queries(100) as after:
        assert "A published comment on the other statement." in reader.get(elsewhere.get_absolute_url()).text
    assert len(after) == len(warm), "the other statement's thread was rendered again"
    assert "A comment approved on the first statement." in reader.get(here.get_absolute_url()).text


def test_anonymous_pages_are_ready_for_a_cdn(client):
    """A stored page says a shared cache may keep it (for its remaining life) and carries its tags."""
    statement = make_statement()
    for _attempt in ("stored now", "served from the cache"):
        response = client.get(statement.get_absolute_url())
        control = response["Cache-Control"]
        assert "public" in control and "s-maxage=" in control and "private" not in control
        assert 0 < int(control.split("s-maxage=")[1].split(",")[0]) <= 600
        assert response["Surrogate-Key"] == statement.cache_tag
    assert client.get("/en/")["Surrogate-Key"] == "*"


def test_pages_of_one_visitor_are_private(client):
    client.force_login(make_user())
    response = client.get("/en/")
    assert "private" in response["Cache-Control"] and "Surrogate-Key" not in response
    assert "private" in Client().get("/en/accounts/login/")["Cache-Control"], "a form with a CSRF token"


def test_the_purge_hook_bans_the_dropped_tags_at_a_proxy(settings, moderator, django_capture_on_commit_callbacks):
    """pagecache.purge.http_ban sends one BAN per proxy, after the commit, matching the dropped tags."""
    import http.server
    import re
    import threading

    received = []

    class Proxy(http.server.BaseHTTPRequestHandler):
        def do_BAN(self):
            received.append((self.command, self.headers["X-Purge-Regex"]))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.PAGECACHE_PURGE = "pagecache.purge.http_ban"
    settings.PAGECACHE_PURGE_URLS = [f"http://127.0.0.1:{server.server_port}/"]
    statement = make_statement(slug="purge-me")
    comment = make_comment(statement)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.comment_approve(comment=comment, seen=comment.fingerprint, moderator=moderator)
        assert received == [], "nothing is purged before the commit"
        for callback in callbacks:
            callback()
    finally:
        server.shutdown()
    [(method, pattern)] = received
    assert method == "BAN"
    assert re.search(pattern, "statement:purge-me") and re.search(pattern, "*")
    assert not re.search(pattern, "statement:another-one") and not re.search(pattern, "record")


class TestNothingStaleAfterARenameOrARestore:
    """Issue 18 item 11: a renamed author and a restored database show at once, not after the cache expires."""

    def test_a_profile_rename_shows_at_once_on_published_comments(self, client):
        author = make_user(display_name="Ada Oldname", country="CA", sector="academia")
        statement = make_statement()
        make_comment(statement, author=author, approve_by=make_moderator(), body="A comment signed by its author.")
        url = statement.get_absolute_url()
        assert "Ada Oldname" in client.get(url).text  # now cached for anonymous readers
        reader = Client()
        reader.force_login(make_user())
        assert "Ada Oldname" in reader.get(url).text  # the thread is now a shared fragment

        own = Client()
        own.force_login(author)
        renamed = {"display_name": "Ada Newname", "country": "CA", "sector": "academia", "organisation": ""}
        response = own.post("/en/accounts/profile/", {**renamed, "preferred_language": "en"})
        assert response.status_code == 302

        for who in (client, reader):
            page = who.get(url).text
            assert "Ada Newname" in page and "Ada Oldname" not in page

    def test_invalidate_public_pages_drops_what_changed_behind_the_portals_back(self, client, capsys):
        """As after a restore: the database changed without the services, so only the command can tell the cache."""
        statement = make_statement(title_en="Before the restore")
        url = statement.get_absolute_url()
        assert "Before the restore" in client.get(url).text
        Statement.objects.filter(pk=statement.pk).update(title_en="After the restore")
        assert "Before the restore" in client.get(url).text, "the page was not cached: this proves nothing"
        call_command("invalidate_public_pages")
        assert "Cached public pages dropped" in capsys.readouterr().out
        assert "After the restore" in client.get(url).text


class TestEarlyAnswers:
    """pagecache.middleware.EarlyPageMiddleware: a page served from the cache once is answered to the
    next anonymous readers before most middleware run, with the very same headers and body."""

    GZIP = {"Accept-Encoding": "gzip, deflate, br"}

    @staticmethod
    def _answered_early(response) -> bool:
        # LocaleMiddleware, after EarlyPageMiddleware, sets the request's language: not run, answered early.
        return not hasattr(response.wsgi_request, "LANGUAGE_CODE")

    @time_machine.travel(datetime.datetime(2026, 3, 2, 12, tzinfo=datetime.UTC), tick=False)
    def test_the_early_answer_is_the_cached_page_with_every_header(self, client, django_assert_num_queries):
        url = seed_statement().get_absolute_url()
        client.get(url, headers=self.GZIP)  # rendered and stored
        through_the_chain = client.get(url, headers=self.GZIP)  # from the page cache, through every middleware
        with django_assert_num_queries(0):
            early = client.get(url, headers=self.GZIP)
        assert not self._answered_early(through_the_chain) and self._answered_early(early)
        assert early.content == through_the_chain.content
        assert early["X-Request-ID"] != through_the_chain["X-Request-ID"], "each request keeps its own id"
        headers = {name: value for name, value in early.items() if name != "X-Request-ID"}
        assert headers == {name: value for name, value in through_the_chain.items() if name != "X-Request-ID"}
        for security_header in (
            "Content-Security-Policy",
            "X-Frame-Options",
            "X-Content-Type-Options",
            "Referrer-Policy",
            "Cross-Origin-Opener-Policy",
            "Permissions-Policy",
        ):
            assert security_header in headers
        assert headers["Content-Encoding"] == "gzip" and "s-maxage=" in headers["Cache-Control"]

    def test_a_change_to_the_statement_ends_its_early_answers(
        self, client, moderator, django_capture_on_commit_callbacks
    ):
        statement = make_statement()
        comment = make_comment(statement, body="Approved after the page was cached.")
        url = statement.get_absolute_url()
        for _visit in range(3):
            response = client.get(url, headers=self.GZIP)
        assert self._answered_early(response)
        with django_capture_on_commit_callbacks(execute=True):
            services.comment_approve(comment=comment, seen=comment.fingerprint, moderator=moderator)
        response = client.get(url, headers=self.GZIP)
        assert not self._answered_early(response)
        assert "Approved after the page was cached." in response.text, "rendered afresh"

    def test_only_anonymous_gzip_readers_of_the_pages_own_url_are_answered_early(self, client):
        url = seed_statement().get_absolute_url()
        tracked = url + "?utm_source=newsletter"
        for _visit in range(3):
            assert not self._answered_early(client.get(tracked, headers=self.GZIP)), "junk never gets an early entry"
            assert not self._answered_early(client.get(url)), "a client without gzip takes the normal way"
        assert not self._answered_early(client.get(url, headers=self.GZIP)), "its first hit on the page cache"
        assert self._answered_early(client.get(url, headers=self.GZIP))
        client.force_login(make_user())
        signed_in = client.get(url, headers=self.GZIP)
        assert not self._answered_early(signed_in) and "private" in signed_in["Cache-Control"]


def test_the_file_cache_stays_within_its_size_while_it_checks_only_now_and_then(tmp_path):
    """pagecache.backends.FileCache lists its folder once every CULL_CHECK_EVERY writes, not at each
    one: it still never holds much more than MAX_ENTRIES, and what was written last is there."""
    from pagecache.backends import FileCache

    cache = FileCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 500}})
    for number in range(3_000):
        cache.set(f"rate-limit:{number}", number)
    files = len(list(tmp_path.glob("*.djcache")))
    assert files <= 500 + FileCache.CULL_CHECK_EVERY, f"{files} files for MAX_ENTRIES 500"
    assert cache.get("rate-limit:2999") == 2999
