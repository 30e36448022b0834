"""
The statement page as a reader meets it: an "at a glance" panel before the text (where the comment
period stands, its deadline in the three capitals, what has been said, the way to take part), then
a conversation one can follow (a count, an order, filters by priority and directive, what each
comment is about in words, official responses set apart, long reply chains folded). Every time
said one way: deadlines in Ottawa, Mexico City and Washington time, other times once, in UTC.
"""

import datetime
import re
from html import unescape

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dialogue import services
from dialogue.models import Comment
from priorities import services as publishing
from priorities.models import Directive

from .factories import PASSWORD, make_comment, make_moderator, make_publisher, make_statement, make_user
from .pages import section, visible_text
from .test_dialogue import seed_thread_comments

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("generous_rate_limit")]

NOW = datetime.datetime(2026, 6, 1, 16, 0, tzinfo=datetime.UTC)
LONG_DIRECTIVE = (
    "Strengthen cooperation protocols and create new mechanisms to secure our common borders while "
    "facilitating legitimate travel and trade in the North American region, and report on them each year"
)


@pytest.fixture
def clock():
    """The page says "closes in N days": the clock stands still at NOW while the test reads it."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def statement(clock):
    statement = make_statement(
        title_en="Statement on the borders",
        comments_open_at=NOW - datetime.timedelta(days=1),
        comments_close_at=datetime.datetime(2026, 7, 1, 16, 0, tzinfo=datetime.UTC),
    )
    Directive.objects.filter(statement=statement, order=4).update(text_en=LONG_DIRECTIVE)
    return statement


def directive(statement, order):
    return statement.directives.get(order=order)


def panel(html: str) -> str:
    return visible_text(section(html, "at-a-glance").split("</aside>", 1)[0])


class TestAtAGlance:
    def test_an_open_statement_leads_with_its_status_deadline_counts_and_the_way_to_comment(
        self, client, statement, moderator
    ):
        make_comment(statement, approve_by=moderator, body="Border wait times need published targets.")
        make_comment(statement, approve_by=moderator, body="And monthly reports on progress.")
        make_comment(statement, body="A comment still waiting for a moderator.")
        html = client.get(statement.get_absolute_url()).text
        text = panel(html)
        assert "Open for comments Closes in 30 days." in text
        assert (
            "Closing time July 1, 2026: Ottawa noon (UTC-4), Mexico City 10 a.m. (UTC-6), Washington noon (UTC-4)"
            in text
        )
        assert "2 published comments 1 awaiting moderation" in text
        assert "Comment on this statement" in text
        # The panel comes before the statement's text, and its jump links lead to the page's parts.
        assert html.index('id="at-a-glance"') < html.index('id="statement-text"')
        for target in ("statement-text", "directives", "comments"):
            assert f'href="#{target}"' in section(html, "at-a-glance")
            assert f'id="{target}"' in html
        assert "The comments (2)" in text

    def test_a_visitor_signs_in_first_and_comes_straight_back_to_the_form(self, client, statement):
        stakeholder = make_user("reader@example.org")
        html = client.get(statement.get_absolute_url()).text
        form_url = f"/en/dialogue/statements/{statement.slug}/comment/"
        action = re.search(r'<a class="[^"]*at-a-glance-action[^"]*" href="([^"]+)">', html)[1]
        assert action == f"/en/accounts/login/?next={form_url.replace('/', '%2F')}"
        signed_in = client.post(action.replace("&amp;", "&"), {"login": stakeholder.email, "password": PASSWORD})
        assert signed_in.status_code == 302 and signed_in["Location"] == form_url
        assert "Comment on the statement" in client.get(form_url).text

    def test_a_signed_in_reader_goes_straight_to_the_form(self, client, statement):
        client.force_login(make_user())
        html = client.get(statement.get_absolute_url()).text
        assert f'at-a-glance-action" href="/en/dialogue/statements/{statement.slug}/comment/">' in html

    @pytest.mark.parametrize(
        ("left", "said"),
        [
            (datetime.timedelta(days=29, hours=12), "Closes in 30 days."),  # whole days, rounded up
            (datetime.timedelta(hours=25), "Closes in 2 days."),
            (datetime.timedelta(hours=5), "Closes in 5 hours."),  # the last day counts hours
            (datetime.timedelta(minutes=30), "Closes in less than an hour."),
        ],
    )
    def test_how_long_is_left(self, client, clock, left, said):
        statement = make_statement(comments_open_at=NOW - datetime.timedelta(days=3), comments_close_at=NOW + left)
        assert f"Open for comments {said}" in panel(client.get(statement.get_absolute_url()).text)

    def test_a_closed_statement_says_so_and_offers_no_action(self, client, clock):
        statement = make_statement(
            comments_open_at=NOW - datetime.timedelta(days=40), comments_close_at=NOW - datetime.timedelta(days=10)
        )
        text = panel(client.get(statement.get_absolute_url()).text)
        assert "Comments closed" in text
        assert "Closing time May 22, 2026: Ottawa noon (UTC-4)" in text
        assert "Comment on this statement" not in text

    def test_a_statement_not_yet_open_says_when_it_opens(self, client, clock):
        statement = make_statement(
            comments_open_at=NOW + datetime.timedelta(days=2), comments_close_at=NOW + datetime.timedelta(days=32)
        )
        text = panel(client.get(statement.get_absolute_url()).text)
        assert "Not open yet" in text
        assert "Opening time June 3, 2026: Ottawa noon (UTC-4), Mexico City 10 a.m. (UTC-6)" in text
        assert "Closing time July 3, 2026" in text
        assert "Comment on this statement" not in text

    @pytest.mark.parametrize(
        ("language", "expected"),
        [
            ("fr", "Clôture 1 juillet 2026 : Ottawa 12:00 (UTC-4), Mexico 10:00 (UTC-6), Washington 12:00 (UTC-4)"),
            (
                "es",
                "Cierre 1 de julio de 2026: Ottawa 12:00 (UTC-4), Ciudad de México 10:00 (UTC-6), "
                "Washington 12:00 (UTC-4)",
            ),
        ],
    )
    def test_the_deadline_in_the_readers_language(self, client, statement, language, expected):
        assert expected in panel(client.get(f"/{language}/statements/{statement.slug}/").text)

    def test_a_deadline_gives_each_capital_its_own_date_when_they_differ(self, client, clock):
        """00:30 in Ottawa is still the day before in Mexico City."""
        statement = make_statement(comments_close_at=datetime.datetime(2026, 7, 2, 4, 30, tzinfo=datetime.UTC))
        assert (
            "July 2, 2026: Ottawa 12:30 a.m. (UTC-4), Mexico City July 1, 2026, 10:30 p.m. (UTC-6), "
            "Washington 12:30 a.m. (UTC-4)"
        ) in panel(client.get(statement.get_absolute_url()).text)


class TestTimesSaidOneWay:
    def test_the_archive_gives_each_open_statement_its_deadline_in_the_three_capitals(self, client, statement):
        text = visible_text(client.get("/en/statements/").text)
        assert (
            "Open for comments Comments close on July 1, 2026: Ottawa noon (UTC-4), Mexico City 10 a.m. (UTC-6), "
            "Washington noon (UTC-4)."
        ) in text

    def test_a_changed_deadline_says_once_in_utc_what_it_was(self, client, statement):
        publishing.comment_period_change(
            statement=statement,
            by=make_publisher(),
            opens_at=statement.comments_open_at,
            closes_at=statement.comments_close_at + datetime.timedelta(days=14),
        )
        text = panel(client.get(statement.get_absolute_url()).text)
        assert "Extended on June 1, 2026: it was to close on July 1, 2026, 4 p.m. UTC." in text
        assert "Closing time July 15, 2026: Ottawa noon (UTC-4)" in text

    def test_other_times_are_said_once_in_utc(self, client, statement, moderator):
        comment = make_comment(statement)
        client.force_login(moderator)
        text = visible_text(client.get(f"/en/moderation/comments/{comment.tracking_number}/").text)
        assert "Submitted June 1, 2026, 4 p.m. UTC" in text
        assert "June 1, 2026, 4 p.m. UTC — Submitted" in text  # the history


class TestConversation:
    def test_a_count_and_an_order(self, client, statement, moderator, clock):
        for hours, words in ((1, "The first words said."), (2, "The second words said."), (3, "The third words.")):
            clock.move_to(NOW + datetime.timedelta(hours=hours))
            make_comment(statement, approve_by=moderator, body=words)
        oldest = visible_text(section(client.get(statement.get_absolute_url()).text, "comments"))
        assert oldest.startswith("Comments 3 published comments")
        assert oldest.index("The first words") < oldest.index("The second words") < oldest.index("The third words")
        newest = visible_text(section(client.get(f"{statement.get_absolute_url()}?order=newest").text, "comments"))
        assert newest.index("The third words") < newest.index("The second words") < newest.index("The first words")

    def test_each_directive_links_to_its_comments_with_their_count(self, client, statement, moderator):
        first, second = directive(statement, 1), directive(statement, 2)
        root = make_comment(statement, approve_by=moderator, directive=first, body="About the first directive.")
        make_comment(statement, approve_by=moderator, parent=root, body="A reply in that thread.")
        make_comment(statement, approve_by=moderator, directive=second, body="About the second directive.")
        make_comment(statement, approve_by=moderator, body="About the statement as a whole.")
        html = client.get(statement.get_absolute_url()).text
        entry = section(html, f"directive-{first.pk}")
        assert f'<a href="?directive={first.pk}#comments">2 comments on this directive</a>' in entry
        assert "No comment on this directive yet" in section(html, f"directive-{directive(statement, 3).pk}")
        filtered = client.get(f"{statement.get_absolute_url()}?directive={first.pk}").text
        thread = visible_text(section(filtered, "comments"))
        assert '1 thread on the directive: "Directive 1 of' in thread.replace("“", '"').replace("”", '"')
        assert "About the first directive." in thread and "A reply in that thread." in thread
        assert "About the second directive." not in thread and "as a whole" not in thread
        assert "Show all comments" in thread
        # The filter offers the directives that have comments, with how many.
        options = re.findall(r'<option value="(\d+)"(?: selected)?>([^<]+)</option>', section(filtered, "comments"))
        assert {value: unescape(label) for value, label in options} == {
            str(first.pk): f"{first.priority.title}: {first.text} (2)",
            str(second.pk): f"{second.priority.title}: {second.text} (1)",
        }

    def test_filter_by_priority_keeps_the_comments_on_its_directives(self, client, statement, moderator):
        on_directive = directive(statement, 1)
        priority = on_directive.priority
        make_comment(statement, approve_by=moderator, directive=on_directive, body="On a directive of it.")
        make_comment(statement, approve_by=moderator, priority=priority, body="On the priority itself.")
        make_comment(statement, approve_by=moderator, body="On the statement as a whole.")
        thread = visible_text(
            section(client.get(f"{statement.get_absolute_url()}?priority={priority.slug}").text, "comments")
        )
        assert f"2 threads on the priority: {priority.title}" in thread
        assert "On a directive of it." in thread and "On the priority itself." in thread
        assert "as a whole" not in thread

    def test_a_filter_for_something_not_on_this_statement_shows_everything(self, client, statement, moderator):
        other = make_statement()
        make_comment(statement, approve_by=moderator, body="Still shown to the reader.")
        for query in (f"directive={directive(other, 1).pk}", "directive=abc", "priority=no-such-priority"):
            response = client.get(f"{statement.get_absolute_url()}?{query}")
            assert response.status_code == 200
            assert "Still shown to the reader." in response.text

    def test_what_a_comment_is_about_is_named_in_words(self, client, statement, moderator):
        long = directive(statement, 4)
        root = make_comment(statement, approve_by=moderator, directive=long, body="Cooperation needs deadlines.")
        reply = make_comment(statement, approve_by=moderator, parent=root, body="Agreed, with yearly reports.")
        on_priority = make_comment(
            statement, approve_by=moderator, priority=directive(statement, 2).priority, body="About a priority."
        )
        html = client.get(statement.get_absolute_url()).text
        head = visible_text(section(html, f"comment-{root.tracking_number}").split("comment-body", 1)[0])
        assert "on the directive: Strengthen cooperation protocols and create new mechanisms to secure our" in head
        assert f'href="#directive-{long.pk}"' in section(html, f"comment-{root.tracking_number}")
        reply_head = section(html, f"comment-{reply.tracking_number}").split("comment-body", 1)[0]
        assert "on the directive" not in reply_head  # a reply is about its thread; said once, at its head
        priority_head = visible_text(section(html, f"comment-{on_priority.tracking_number}").split("comment-body")[0])
        assert f"on the priority: {on_priority.priority.title}" in priority_head

    def test_the_tracking_number_is_not_the_first_thing_on_a_comment(self, client, statement, moderator):
        comment = make_comment(statement, approve_by=moderator, body="Words that matter more than numbers.")
        thread = visible_text(section(client.get(statement.get_absolute_url()).text, "comments"))
        assert "Words that matter more than numbers." in thread
        assert comment.tracking_number not in thread

    def test_an_official_response_is_set_apart_with_the_responding_government(self, client, statement, moderator):
        comment = make_comment(statement, approve_by=moderator, body="What is the timetable for inspections?")
        services.response_post(
            comment=comment, moderator=moderator, government="MX", body="Se publicará en junio.", language="es"
        )
        html = section(client.get(statement.get_absolute_url()).text, f"comment-{comment.tracking_number}")
        response = re.search(r'<aside class="official-response" aria-labelledby="([^"]+)">(.*?)</aside>', html, re.S)
        assert response, "the response is not in its own labelled region"
        label = re.search(rf'<span class="badge official-badge" id="{response[1]}">([^<]+)</span>', response[2])
        assert label[1] == "Official response — Government of Mexico"
        assert 'lang="es">' in response[2] and "Se publicará en junio." in response[2]

    def test_long_reply_chains_start_folded_short_ones_open(self, client, statement, moderator):
        long = make_comment(statement, approve_by=moderator, body="A thread many people answered.")
        for n in range(4):
            make_comment(statement, approve_by=moderator, parent=long, body=f"Answer number {n} to the thread.")
        short = make_comment(statement, approve_by=moderator, body="A thread with one answer.")
        make_comment(statement, approve_by=moderator, parent=short, body="The only answer here.")
        html = client.get(statement.get_absolute_url()).text
        folded = section(html, f"comment-{long.tracking_number}")
        assert re.search(r'<details class="comment-replies-toggle">\s*<summary>4 replies</summary>', folded)
        assert "Answer number 3 to the thread." in folded  # folded, not removed: no JavaScript needed to open it
        shown = section(html, f"comment-{short.tracking_number}")
        assert re.search(r'<details class="comment-replies-toggle" open>\s*<summary>1 reply</summary>', shown)

    def test_pages_of_the_conversation_are_plain_links_that_land_on_the_comments(self, client, statement):
        seed_thread_comments(statement, 150)
        assert Comment.objects.filter(statement=statement, depth=0).count() > 10
        html = client.get(f"{statement.get_absolute_url()}?order=newest").text
        assert 'href="?order=newest&amp;page=2#comments" rel="next">Load more comments</a>' in html

    def test_a_removed_comment_is_a_labelled_placeholder(self, client, statement, moderator):
        comment = make_comment(statement, approve_by=moderator, body="Words a moderator removed.")
        services.comment_hide(comment=comment, seen=comment.fingerprint, moderator=moderator, reason="abusive")
        html = section(client.get(statement.get_absolute_url()).text, f"comment-{comment.tracking_number}")
        assert '<span class="badge status-badge status-removed">Removed by moderation</span>' in html
        assert "Words a moderator removed." not in html


class TestThePageCacheKeepsTheFilters:
    def test_each_filter_is_its_own_cached_page_and_undeclared_parameters_are_dropped(
        self, client, statement, moderator, settings, django_assert_num_queries
    ):
        settings.PUBLIC_PAGE_CACHE_SECONDS = 600
        first, second = directive(statement, 1), directive(statement, 2)
        make_comment(statement, approve_by=moderator, directive=first, body="On the first directive only.")
        make_comment(statement, approve_by=moderator, directive=second, body="On the second directive only.")
        url = statement.get_absolute_url()
        client.get(f"{url}?directive={first.pk}&order=newest")
        client.get(f"{url}?directive={second.pk}&order=newest")
        with django_assert_num_queries(0):
            one = client.get(f"{url}?order=newest&directive={first.pk}&utm_source=mail").text
            two = client.get(f"{url}?directive={second.pk}&order=newest").text
        assert "On the first directive only." in one and "On the second directive only." not in one
        assert "On the second directive only." in two and "On the first directive only." not in two

    def test_the_query_count_stays_the_same_with_filters_and_many_comments(
        self, client, statement, settings, moderator
    ):
        settings.PUBLIC_PAGE_CACHE_SECONDS = 0
        chosen = directive(statement, 1)
        url = f"{statement.get_absolute_url()}?order=newest&directive={chosen.pk}&lang=en"
        # The filter keeps a thread with a reply whatever the seeded comments happen to be about.
        root = make_comment(statement, approve_by=moderator, directive=chosen, body="On the chosen directive.")
        make_comment(statement, approve_by=moderator, parent=root, body="A reply on the chosen directive.")

        def count():
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            return len(queries)

        seed_thread_comments(statement, 10)
        small = count()
        seed_thread_comments(statement, 490)
        assert Comment.objects.approved().count() == 502
        assert count() == small == 12


class TestTheCommentForm:
    def test_opened_from_a_directive_it_is_headed_by_the_directive_shown_whole(self, client, statement):
        client.force_login(make_user())
        long = directive(statement, 4)
        page = client.get(f"/es/dialogue/statements/{statement.slug}/comment/?about=directive:{long.pk}").text
        heading = re.search(r"<h1>(.*?)</h1>", page, re.S)[1]
        assert heading == "Comentar una directriz"
        assert "Comentar la declaración" not in page
        quote = visible_text(re.search(r'<figure class="directive-quote.*?</figure>', page, re.S)[0])
        assert LONG_DIRECTIVE in quote
        selected = re.search(rf'<option value="directive:{long.pk}" selected>([^<]+)</option>', page)
        assert selected[1].endswith(LONG_DIRECTIVE)  # the choice, too, is the whole text

    def test_opened_for_a_priority_or_the_statement_it_says_which(self, client, statement):
        client.force_login(make_user())
        priority = directive(statement, 1).priority
        url = f"/en/dialogue/statements/{statement.slug}/comment/"
        on_priority = client.get(f"{url}?about=priority:{priority.pk}").text
        assert f"<h1>Comment on the priority: {priority.title}</h1>" in on_priority
        assert "<h1>Comment on the statement</h1>" in client.get(url).text
        unknown = client.get(f"{url}?about=directive:99999999999999999999").text
        assert "<h1>Comment on the statement</h1>" in unknown

    def test_a_refused_comment_keeps_the_heading_of_what_it_was_about(self, client, statement):
        client.force_login(make_user())
        long = directive(statement, 4)
        response = client.post(
            f"/en/dialogue/statements/{statement.slug}/comment/",
            {"about": f"directive:{long.pk}", "body": "Too short", "language": "en"},
        )
        assert response.status_code == 400
        assert "<h1>Comment on a directive</h1>" in response.text and LONG_DIRECTIVE in response.text


def test_demo_comments_have_a_history_dated_when_they_were_made(settings):
    """seed_demo's comments are dated months back: their "submitted" and decisions are too, not today."""
    settings.DEBUG = True
    call_command("seed_demo", comments=12)
    make_moderator()  # unrelated activity today
    demo = Comment.objects.filter(author__username__startswith="participant")
    assert demo.count() == 12
    for comment in demo.prefetch_related("events"):
        events = {event.action: event.created_at for event in comment.events.all()}
        assert events["submit"] == comment.submitted_at
        if comment.decided_at:
            assert max(events.values()) == comment.decided_at
