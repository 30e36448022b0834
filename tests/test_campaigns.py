"""Campaigns: near-identical submissions from different authors grouped as they arrive, decided at once, shown once."""

import io
import re
import threading
import time

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from dialogue import campaigns, services
from dialogue.models import Campaign, CampaignBand, Comment, ModerationEvent

from .factories import make_comment, make_moderator, make_statement, make_user, reauthenticate

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("generous_rate_limit")]
Status = Comment.Status

LETTER = (
    "As a resident of the border region I urge the three governments to shorten the wait times at the "
    "land crossings, to publish the inspection standards for fresh produce in plain language, and to "
    "consult the municipalities on both sides before any new fee is introduced. Small exporters cannot "
    "absorb more delays; please fund the shared inspection lanes promised in the plan. Thank you."
)
OTHER_TEXT = (
    "Our cooperative of fishers asks for a joint emergency plan for hurricanes on the Gulf coast, with "
    "shelters, radio warnings in Spanish and indigenous languages, and money for boats lost to storms."
)
# Small edits, one per copy: a name signed, a word changed, a sentence added.
EDITS = [
    lambda text, n: f"{text} Signed, participant {n}.",
    lambda text, n: text.replace("urge", "ask"),
    lambda text, n: text.replace("Thank you.", f"Thank you from town number {n}."),
    lambda text, n: text.replace("Small exporters", "Small exporters and farmers"),
    lambda text, n: text,
]


def form_letter(n: int) -> str:
    return EDITS[n % len(EDITS)](LETTER, n)


@pytest.fixture
def statement():
    return make_statement(title_en="Statement with a form letter")


def submit_copies(statement, count, *, start=0):
    return [
        make_comment(statement, author=make_user(preferred_language=["en", "fr", "es"][n % 3]), body=form_letter(n))
        for n in range(start, start + count)
    ]


def campaign_form(html: str, campaign: Campaign) -> dict:
    """What the queue's campaign item posts: each member shown, with the fingerprint of its text."""
    members = re.findall(rf'name="campaign-{campaign.pk}-members" value="([^"]+)"', html)
    return {f"campaign-{campaign.pk}-members": members}


class TestGrouping:
    def test_fifty_lightly_edited_copies_from_fifty_authors_become_one_campaign(self, statement):
        copies = submit_copies(statement, 50)
        campaign_ids = {Comment.objects.get(pk=c.pk).campaign_id for c in copies}
        assert len(campaign_ids) == 1 and None not in campaign_ids
        campaign = Campaign.objects.get()
        assert campaign.representative_id == copies[0].pk, "the first copy represents the campaign"
        assert campaign.members.count() == 50

    def test_the_edits_stay_above_the_threshold_and_a_different_text_below(self):
        letter = campaigns.shingles(LETTER)
        for n in range(len(EDITS)):
            assert campaigns.similarity(letter, campaigns.shingles(form_letter(n))) >= 0.8
        assert campaigns.similarity(letter, campaigns.shingles(OTHER_TEXT)) < 0.1

    def test_a_different_text_is_not_grouped(self, statement):
        submit_copies(statement, 3)
        other = make_comment(statement, body=OTHER_TEXT)
        assert Comment.objects.get(pk=other.pk).campaign_id is None
        assert Campaign.objects.get().members.count() == 3

    def test_a_rewritten_text_on_the_same_subject_is_not_grouped(self, statement):
        """Half the words changed is an opinion of one's own, not a copy."""
        submit_copies(statement, 2)
        words = LETTER.split()
        rewritten = " ".join(word.upper() if i % 2 else "different" for i, word in enumerate(words))
        comment = make_comment(statement, body=rewritten)
        assert Comment.objects.get(pk=comment.pk).campaign_id is None

    def test_the_same_text_on_another_statement_is_not_grouped(self, statement):
        make_comment(statement, body=LETTER)
        other = make_comment(make_statement(), body=LETTER)
        assert Comment.objects.get(pk=other.pk).campaign_id is None and not Campaign.objects.exists()

    def test_an_author_repeating_themself_makes_no_campaign(self, statement):
        """A campaign holds one comment per author: an author's own edited copies never make one on their own."""
        author = make_user()
        for n in range(4):
            make_comment(statement, author=author, body=form_letter(n))
        assert not Campaign.objects.exists()
        assert not Comment.objects.filter(campaign__isnull=False).exists()

    def test_an_author_already_in_a_campaign_does_not_join_it_twice(self, statement):
        author = make_user()
        make_comment(statement, author=author, body=form_letter(0))
        make_comment(statement, body=form_letter(1))
        again = make_comment(statement, author=author, body=form_letter(2))
        campaign = Campaign.objects.get()
        assert campaign.members.count() == 2
        assert Comment.objects.get(pk=again.pk).campaign_id is None

    def test_short_comments_and_replies_are_not_grouped(self, statement, moderator):
        first = make_comment(statement, body="I agree with this plan.", approve_by=moderator)
        make_comment(statement, body="I agree with this plan!")
        make_comment(statement, body=LETTER, parent=first)
        make_comment(statement, body=LETTER, parent=first)
        assert not Campaign.objects.exists()

    def test_grouping_can_be_turned_off(self, statement, settings):
        settings.CAMPAIGN_GROUPING = False
        submit_copies(statement, 3)
        assert not Campaign.objects.exists() and not CampaignBand.objects.exists()

    def test_a_failure_of_grouping_keeps_the_comment(self, statement, monkeypatch, log_lines):
        make_comment(statement, body=LETTER)

        def broken(comment, bands=None):
            CampaignBand.objects.create(band=1, comment=comment)  # written, then rolled back with the savepoint
            raise RuntimeError("the grouping broke")

        monkeypatch.setattr(campaigns, "group", broken)
        comment = make_comment(statement, body=LETTER)
        comment = Comment.objects.get(pk=comment.pk)
        assert comment.status == Status.PENDING and comment.campaign_id is None
        assert not CampaignBand.objects.filter(comment=comment).exists()
        assert comment.events.filter(action=ModerationEvent.Action.SUBMIT).exists()

    def test_an_edit_that_no_longer_resembles_the_campaign_leaves_it(self, statement):
        first, _second, third = submit_copies(statement, 3)
        services.comment_edit(comment=third, author=third.author, body=OTHER_TEXT)
        assert Comment.objects.get(pk=third.pk).campaign_id is None
        services.comment_edit(comment=third, author=third.author, body=form_letter(7))
        assert Comment.objects.get(pk=third.pk).campaign_id == Comment.objects.get(pk=first.pk).campaign_id


def test_index_campaigns_lets_new_copies_join_comments_submitted_without_grouping(statement, settings):
    settings.CAMPAIGN_GROUPING = False
    earlier = make_comment(statement, body=LETTER)
    settings.CAMPAIGN_GROUPING = True
    out = io.StringIO()
    call_command("index_campaigns", "--dry-run", stdout=out)
    assert "1 top-level comments have no campaign bands" in out.getvalue() and not CampaignBand.objects.exists()
    call_command("index_campaigns", "--statement", statement.slug, stdout=out)
    assert "Indexed 1 comments" in out.getvalue()
    assert CampaignBand.objects.filter(comment=earlier).count() == campaigns.BANDS
    copy = make_comment(statement, body=form_letter(1))
    assert Comment.objects.get(pk=copy.pk).campaign_id == Comment.objects.get(pk=earlier.pk).campaign_id is not None
    call_command("index_campaigns", stdout=out)
    assert "Indexed 0 comments" in out.getvalue(), "what has bands is not indexed twice"


class TestModeration:
    def test_the_queue_shows_a_campaign_as_one_item_with_what_each_member_changed(self, client, statement, moderator):
        copies = submit_copies(statement, 5)
        alone = make_comment(statement, body=OTHER_TEXT)
        client.force_login(moderator)
        html = client.get("/en/moderation/").text
        assert "Campaign: 5 similar submissions wait" in html
        assert "2 items wait, oldest first" in html, "the campaign is one item beside the other comment"
        assert "Apply to the 1 comment on this page" in html, "the campaign is decided with its own action"
        assert html.count('name="shown"') == 1
        assert html.count(f'href="/en/moderation/comments/{alone.tracking_number}/"') == 1
        for copy in copies:
            assert copy.tracking_number in html
        assert "<del" in html and ">urge<" in html and ">ask<" in html, "the word changed, removed and added"
        assert "from town number 2." in html

    def test_fifty_copies_are_decided_in_one_action(
        self, client, statement, moderator, django_capture_on_commit_callbacks
    ):
        submit_copies(statement, 50)
        campaign = Campaign.objects.get()
        client.force_login(moderator)
        reauthenticate(client)  # many decisions at once ask for the password again, as bulk ones do
        html = client.get("/en/moderation/").text
        data = campaign_form(html, campaign)
        assert len(data[f"campaign-{campaign.pk}-members"]) == 50
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                f"/en/moderation/campaigns/{campaign.pk}/decide/",
                {
                    **data,
                    f"campaign-{campaign.pk}-action": "reject",
                    f"campaign-{campaign.pk}-reason": "duplicate_campaign",
                    "next": "/en/moderation/",
                },
                follow=True,
            )
        assert "50 comments rejected." in response.text
        assert set(campaign.members.values_list("status", flat=True)) == {Status.REJECTED}
        assert set(campaign.members.values_list("decision_reason", flat=True)) == {"duplicate_campaign"}
        events = ModerationEvent.objects.filter(action=ModerationEvent.Action.REJECT, comment__campaign=campaign)
        assert events.count() == 50 and set(events.values_list("actor", flat=True)) == {moderator.pk}
        assert len(mail.outbox) == 50, "one email to each author"
        assert len({message.to[0] for message in mail.outbox}) == 50
        assert sum("Votre commentaire" in m.subject or "Su comentario" in m.subject for m in mail.outbox) >= 30, (
            "each in its author's language"
        )

    def test_the_campaign_page_decides_with_one_reason(self, client, statement, moderator):
        submit_copies(statement, 3)
        campaign = Campaign.objects.get()
        client.force_login(moderator)
        reauthenticate(client)
        html = client.get(f"/en/moderation/campaigns/{campaign.pk}/").text
        assert "Campaign of 3 submissions" in html and "Decide the whole campaign" in html
        member = client.get(f"/en/moderation/comments/{campaign.representative.tracking_number}/").text
        assert f'href="/en/moderation/campaigns/{campaign.pk}/"' in member, "each member's page links its campaign"
        prefix = f"campaign-{campaign.pk}"
        refused = client.post(f"/en/moderation/campaigns/{campaign.pk}/decide/",
                              {**campaign_form(html, campaign), f"{prefix}-action": "reject"}, follow=True)  # fmt: skip
        assert "Choose the rule this comment breaks." in refused.text
        assert not campaign.members.exclude(status=Status.PENDING).exists()
        client.post(f"/en/moderation/campaigns/{campaign.pk}/decide/",
                    {**campaign_form(html, campaign), f"{prefix}-action": "approve"})  # fmt: skip
        assert set(campaign.members.values_list("status", flat=True)) == {Status.APPROVED}

    def test_conflict_of_interest_is_respected_per_comment(self, client, statement):
        moderator = make_moderator()
        copies = submit_copies(statement, 3)
        own = make_comment(statement, author=moderator, body=form_letter(9))
        campaign = Campaign.objects.get()
        assert Comment.objects.get(pk=own.pk).campaign_id == campaign.pk
        seen = {c.pk: c.fingerprint for c in [*copies, own]}
        result = services.campaign_decide(campaign=campaign, moderator=moderator, action="approve", seen=seen)
        assert len(result.decided) == 3
        assert [(c.pk, why) for c, why in result.refused] == [(own.pk, own.conflict_of_interest(moderator))]
        assert Comment.objects.get(pk=own.pk).status == Status.PENDING
        client.force_login(moderator)
        html = client.get(f"/en/moderation/campaigns/{campaign.pk}/").text
        assert "You wrote this comment" in html
        assert f'value="{own.pk}:' not in html, "their own comment is not in the decision"

    def test_two_moderators_deciding_the_same_campaign(self, statement):
        """The second is told each comment was already decided; each comment keeps one decision and one event."""
        copies = submit_copies(statement, 4)
        campaign = Campaign.objects.get()
        seen = {c.pk: c.fingerprint for c in copies}
        first, second = make_moderator(), make_moderator()
        services.campaign_decide(campaign=campaign, moderator=first, action="approve", seen=seen)
        late = services.campaign_decide(campaign=campaign, moderator=second, action="reject", seen=seen, reason="spam")
        assert not late.decided and len(late.refused) == 4
        assert "already decided" in late.refused[0][1]
        assert set(campaign.members.values_list("status", flat=True)) == {Status.APPROVED}
        decisions = ModerationEvent.objects.filter(comment__campaign=campaign).exclude(action="submit")
        assert decisions.count() == 4

    def test_a_member_that_joined_after_the_page_was_shown_waits(self, statement, moderator):
        copies = submit_copies(statement, 2)
        seen = {c.pk: c.fingerprint for c in copies}
        latecomer = submit_copies(statement, 1, start=2)[0]
        campaign = Campaign.objects.get()
        services.campaign_decide(campaign=campaign, moderator=moderator, action="approve", seen=seen)
        assert Comment.objects.get(pk=latecomer.pk).status == Status.PENDING

    @pytest.mark.parametrize("size", [3, 30])
    def test_the_queue_query_count_does_not_grow_with_the_campaign(self, client, statement, moderator, size, settings):
        submit_copies(statement, size)
        make_comment(statement, body=OTHER_TEXT)
        settings.PUBLIC_PAGE_CACHE_SECONDS = 0  # rendered afresh each time
        client.force_login(moderator)
        client.get("/en/moderation/")  # warm the per-process caches (content types, permissions)
        with CaptureQueriesContext(connection) as queries:
            html = client.get("/en/moderation/").text
        assert f"Campaign: {size} similar submissions wait" in html
        # The 9 of a queue without campaigns (tests/test_moderation.py), and the campaigns' members.
        assert len(queries) == 10, "\n".join(q["sql"][:150] for q in queries.captured_queries)
        campaign = Campaign.objects.get()
        client.get(f"/en/moderation/campaigns/{campaign.pk}/")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/en/moderation/campaigns/{campaign.pk}/").status_code == 200
        # The user (read with their permissions, the MFA check and whether they belong to an organisation:
        # this moderator does not, so the conflict of interest asks nothing more), the campaign, its
        # members, the navigation's four counts.
        assert len(queries) == 7, "\n".join(q["sql"][:150] for q in queries.captured_queries)

    def test_the_campaign_pages_need_the_permission(self, client, statement):
        submit_copies(statement, 2)
        campaign = Campaign.objects.get()
        urls = [f"/en/moderation/campaigns/{campaign.pk}/"]
        assert client.get(urls[0]).status_code == 302
        client.force_login(make_user())
        assert client.get(urls[0]).status_code == 403
        assert client.post(f"/en/moderation/campaigns/{campaign.pk}/decide/").status_code == 403
        assert not campaign.members.exclude(status=Status.PENDING).exists()


class TestPublic:
    def test_the_statement_shows_the_campaign_once_with_its_similar_submissions(self, client, statement, moderator):
        copies = submit_copies(statement, 6)
        other = make_comment(statement, body=OTHER_TEXT, approve_by=moderator)
        campaign = Campaign.objects.get()
        seen = {c.pk: c.fingerprint for c in copies[:5]}  # the sixth still waits: it is not counted
        services.campaign_decide(campaign=campaign, moderator=moderator, action="approve", seen=seen)
        html = client.get(statement.get_absolute_url()).text
        assert "and 4 similar submissions" in html
        assert f'href="/en/dialogue/campaigns/{campaign.pk}/"' in html
        assert html.count('class="comment depth-0"') == 2, "the representative and the other comment"
        assert f"comment-{copies[0].tracking_number}" in html and f"comment-{other.tracking_number}" in html
        assert f'id="comment-{copies[1].tracking_number}"' not in html

        listing = client.get(f"/en/dialogue/campaigns/{campaign.pk}/")
        assert listing.status_code == 200
        assert "5 similar submissions" in listing.text
        for copy in copies[:5]:
            assert copy.author.stakeholder.display_name in listing.text
        assert copies[5].author.stakeholder.display_name not in listing.text, "pending: not public"
        assert ">urge<" in listing.text and ">ask<" in listing.text, "what each one changed"

    def test_a_campaign_with_nothing_published_is_not_found(self, client, statement):
        submit_copies(statement, 2)
        assert client.get(f"/en/dialogue/campaigns/{Campaign.objects.get().pk}/").status_code == 404

    @pytest.mark.parametrize("size", [3, 60])
    def test_the_listing_query_count_does_not_grow(self, client, statement, moderator, size):
        copies = submit_copies(statement, size)
        campaign = Campaign.objects.get()
        services.campaign_decide(
            campaign=campaign, moderator=moderator, action="approve", seen={c.pk: c.fingerprint for c in copies}
        )
        client.get(f"/en/dialogue/campaigns/{campaign.pk}/")
        from django.core.cache import cache

        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/en/dialogue/campaigns/{campaign.pk}/").status_code == 200
        # The cache generation, the campaign, the representative, the count and the page of members.
        assert len(queries) == 5, "\n".join(q["sql"][:150] for q in queries.captured_queries)

    def test_open_data_the_api_and_search_carry_the_campaign(self, client, statement, moderator):
        copies = submit_copies(statement, 3)
        campaign = Campaign.objects.get()
        services.campaign_decide(
            campaign=campaign, moderator=moderator, action="approve", seen={c.pk: c.fingerprint for c in copies}
        )
        other = make_comment(statement, body=OTHER_TEXT, approve_by=moderator)
        download = client.get(f"/en/open-data/statements/{statement.slug}/comments.json").json()
        records = {record["tracking_number"]: record for record in download["comments"]}
        assert records[copies[1].tracking_number]["campaign"] == campaign.pk
        assert records[other.tracking_number]["campaign"] is None
        csv_text = client.get(f"/en/open-data/statements/{statement.slug}/comments.csv").content.decode("utf-8-sig")
        assert csv_text.splitlines()[0].split(",").count("campaign") == 1
        listed = client.get(f"/api/v1/comments/?statement={statement.slug}").json()["items"]
        items = {item["tracking_number"]: item for item in listed}
        assert items[copies[2].tracking_number]["campaign"] == campaign.pk
        assert items[other.tracking_number]["campaign"] is None
        html = client.get("/en/search/?q=inspection+lanes").text
        assert "Part of a campaign of 3 similar submissions" in html


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL (CI runs it)")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_copies_submitted_at_the_same_moment_form_a_campaign(settings):
    """
    Two real connections: the first copy's transaction is still open when the second arrives. The
    second waits for it at the statement's lock, then sees it, and the two form a campaign.
    """
    settings.COMMENT_RATE_LIMIT = (100_000, 600)
    statement = make_statement()
    first_author, second_author = make_user(), make_user()
    first_grouped, first_may_commit = threading.Event(), threading.Event()
    submitted = {}

    def first():
        try:
            with transaction.atomic():
                submitted["first"] = make_comment(statement, author=first_author, body=form_letter(0))
                first_grouped.set()
                first_may_commit.wait(timeout=10)
        finally:
            connection.close()

    def second():
        try:
            first_grouped.wait(timeout=10)
            submitted["second"] = make_comment(statement, author=second_author, body=form_letter(1))
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    try:
        first_grouped.wait(timeout=10)
        time.sleep(0.5)  # the second submission is now waiting at the statement's lock
        waited = "second" not in submitted
    finally:
        first_may_commit.set()
        for thread in threads:
            thread.join()
    assert waited, "the second submission waits for the first to commit"
    campaign = Campaign.objects.get()
    assert set(campaign.members.values_list("pk", flat=True)) == {submitted["first"].pk, submitted["second"].pk}
