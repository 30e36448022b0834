"""
"What we heard" (issue 15 item 6): after a statement's comment period closes, publishers publish an
outcome report in the three languages, with the conversation's figures frozen at publication; the
statement page links it and the statements feed announces it.
"""

import datetime
from collections import Counter

import feedparser
import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.formats import date_format

from dialogue import organisations
from dialogue import services as dialogue_services
from dialogue.models import Comment
from dialogue.outcomes import outcome_figures, outcome_report_publish
from priorities import services
from priorities.models import OutcomeReport, OutcomeTheme, Statement

from .factories import make_comment, make_moderator, make_publisher, make_statement, make_user, reauthenticate

pytestmark = pytest.mark.django_db

LANGUAGES = ("en", "fr", "es")
TITLES = {"en": "Supply chains", "fr": "Chaînes d'approvisionnement", "es": "Cadenas de suministro"}
SUMMARIES = {
    "en": "Participants asked for **published** border targets.",
    "fr": "Les participants ont demandé des cibles **publiées** à la frontière.",
    "es": "Los participantes pidieron metas **publicadas** en la frontera.",
}
THEME = {
    "title": {"en": "Border wait times", "fr": "Temps d'attente", "es": "Tiempos de espera"},
    "heard": {"en": "Waits are too long.", "fr": "Les attentes sont trop longues.", "es": "Las esperas son largas."},
    "response": {
        "en": "Targets will be published yearly.",
        "fr": "Les cibles seront publiées chaque année.",
        "es": "Las metas se publicarán cada año.",
    },
}


def write_report(statement, *, languages=LANGUAGES, themes=1) -> OutcomeReport:
    """A draft report as a publisher writes it in the admin, in `languages`."""
    report = OutcomeReport.objects.create(
        statement=statement, **{f"summary_{code}": SUMMARIES[code] for code in languages}
    )
    for order in range(themes):
        OutcomeTheme.objects.create(
            report=report,
            order=order,
            **{f"{field}_{code}": THEME[field][code] for field in THEME for code in languages},
        )
    return report


def close_period(statement, publisher):
    """The publisher shortens the period to a time already past: it closes now (the publishing service)."""
    services.comment_period_change(
        statement=statement,
        by=publisher,
        opens_at=statement.comments_open_at,
        closes_at=timezone.now() - datetime.timedelta(minutes=1),
    )
    return Statement.objects.get(pk=statement.pk)


@pytest.fixture
def publisher():
    return make_publisher(display_name="Publisher Dubois")


@pytest.fixture
def statement():
    return make_statement(
        title_fr="Déclaration sur les chaînes",
        title_es="Declaración sobre las cadenas",
        body_fr="Texte.",
        body_es="Texto.",
    )


@pytest.fixture
def conversation(statement, moderator):
    """Published comments from several countries, sectors and languages, one answered; one left pending."""
    canadian = make_user(country="CA", sector="business")
    mexican = make_user(country="MX", sector="civil_society")
    american = make_user(country="US", sector="academia")
    first = make_comment(statement, author=canadian, language="en", approve_by=moderator)
    make_comment(statement, author=canadian, language="fr", approve_by=moderator)
    make_comment(statement, author=mexican, language="es", approve_by=moderator)
    # One on behalf of the verified association the Mexican participant registered: a business one.
    association = organisations.organisation_register(
        user=mexican, name="Cámara de Comercio del Norte", country="MX", sector="business"
    )
    organisations.organisation_decide(organisation=association, moderator=make_moderator(), verify=True, note="RFC")
    make_comment(statement, author=mexican, language="es", on_behalf_of=association, approve_by=moderator)
    make_comment(statement, author=american, language="en", approve_by=moderator)
    dialogue_services.response_post(
        comment=first, moderator=moderator, government="CA", body="Thank you, noted.", language="en"
    )
    pending = make_comment(statement, author=american, language="en")
    return {"pending": pending}


def counts(report, key, language="en") -> dict[str, int]:
    [table] = [table for table in report.figure_tables(language) if table["key"] == key]
    return {row["label"]: row["count"] for row in table["rows"]}


class TestPublishingRules:
    def test_refused_before_the_comment_period_closes(self, statement, publisher):
        report = write_report(statement)
        with pytest.raises(services.NotAllowed, match="The comment period has not closed"):
            outcome_report_publish(report=report, by=publisher)
        report.refresh_from_db()
        assert report.status == OutcomeReport.Status.DRAFT and report.figures == {}

    def test_refused_while_a_language_is_missing(self, statement, publisher):
        report = write_report(statement, languages=("en", "es"))
        close_period(statement, publisher)
        with pytest.raises(services.OutcomeTranslationMissing, match="no French text") as refusal:
            outcome_report_publish(report=report, by=publisher)
        assert refusal.value.languages == ["fr"]
        assert OutcomeReport.objects.get(pk=report.pk).status == OutcomeReport.Status.DRAFT

    def test_a_theme_missing_its_response_in_one_language_is_a_missing_language(self, statement, publisher):
        report = write_report(statement)
        OutcomeTheme.objects.filter(report=report).update(response_es="")
        close_period(statement, publisher)
        with pytest.raises(services.OutcomeTranslationMissing, match="Spanish"):
            outcome_report_publish(report=report, by=publisher)

    def test_a_report_without_a_theme_is_refused(self, statement, publisher):
        report = write_report(statement, themes=0)
        close_period(statement, publisher)
        with pytest.raises(services.NotAllowed, match="at least one main theme"):
            outcome_report_publish(report=report, by=publisher)

    def test_only_publishers_publish(self, statement, publisher, moderator):
        report = write_report(statement)
        close_period(statement, publisher)
        with pytest.raises(services.NotAllowed, match="Only publishers"):
            outcome_report_publish(report=report, by=moderator)
        assert OutcomeReport.objects.get(pk=report.pk).status == OutcomeReport.Status.DRAFT

    def test_published_once(self, statement, publisher):
        report = write_report(statement)
        close_period(statement, publisher)
        outcome_report_publish(report=report, by=publisher)
        with pytest.raises(services.NotAllowed, match="already published"):
            outcome_report_publish(report=report, by=publisher)

    def test_followers_are_told_in_their_language_with_the_reports_address(
        self, statement, publisher, django_capture_on_commit_callbacks
    ):
        """Publishing emails each follower of the statement once, in French for a French follower."""
        report = write_report(statement)
        close_period(statement, publisher)
        follower = make_user(preferred_language="fr")
        dialogue_services.subscription_set(user=follower, topic="statement", statement=statement, delivery="immediate")
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            outcome_report_publish(report=report, by=publisher)
        [message] = [message for message in mail.outbox if message.to == [follower.email]]
        assert "Ce que nous avons entendu" in message.subject, message.subject
        assert f"/fr/statements/{statement.slug}/what-we-heard/" in message.body
        assert "List-Unsubscribe" in message.extra_headers

    def test_a_refused_publication_emails_no_follower(self, statement, publisher, django_capture_on_commit_callbacks):
        report = write_report(statement)
        follower = make_user()
        dialogue_services.subscription_set(user=follower, topic="statement", statement=statement, delivery="immediate")
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(services.NotAllowed):
            outcome_report_publish(report=report, by=publisher)
        assert not [message for message in mail.outbox if message.to == [follower.email]]


class TestFigures:
    def test_the_figures_count_a_campaign_apart_from_individual_submissions(self, statement, publisher, moderator):
        letter = "We ask the three governments to publish the border wait-time targets every year, after consulting"
        for town in ("Tijuana", "Mexicali"):
            make_comment(statement, body=f"{letter} the municipalities of {town}.", approve_by=moderator)
        make_comment(statement, body="A different view entirely: inspections should move inland.", approve_by=moderator)
        report = write_report(statement)
        close_period(statement, publisher)
        report = outcome_report_publish(report=report, by=publisher)
        assert counts(report, "campaigns") == {
            "Part of a campaign (near-identical texts from several participants)": 2,
            "Individual submissions": 1,
        }

    def test_the_figures_count_the_published_comments(self, statement, publisher, conversation):
        report = write_report(statement)
        close_period(statement, publisher)
        report = outcome_report_publish(report=report, by=publisher)

        published = list(Comment.objects.published().filter(statement=statement).select_related("author__stakeholder"))
        assert report.figures["total"] == len(published) == 5
        assert report.figures["answered"] == 1
        assert report.answered_percent() == "20.0"
        assert counts(report, "country") == {"Canada": 2, "Mexico": 2, "United States": 1}
        assert counts(report, "sector") == {"Business": 2, "Civil society": 2, "Academia": 1}
        assert counts(report, "organisation_type") == {"In their own name": 4, "Business": 1}
        assert counts(report, "language") == {"English": 2, "Spanish": 2, "French": 1}
        # The same figures recounted from the comments themselves.
        by_country = Counter(comment.author.stakeholder.get_country_display() for comment in published)
        assert counts(report, "country") == dict(by_country)
        assert report.figures_computed_at == report.published_at

    def test_labels_are_kept_in_each_language(self, statement, publisher, conversation):
        report = write_report(statement)
        close_period(statement, publisher)
        report = outcome_report_publish(report=report, by=publisher)
        assert counts(report, "country", "es") == {"Canadá": 2, "México": 2, "Estados Unidos": 1}
        assert counts(report, "language", "fr") == {"Anglais": 2, "Espagnol": 2, "Français": 1}

    def test_the_figures_are_frozen_at_publication(self, statement, publisher, conversation, moderator):
        report = write_report(statement)
        close_period(statement, publisher)
        outcome_report_publish(report=report, by=publisher)
        late = conversation["pending"]
        dialogue_services.comment_approve(comment=late, moderator=moderator, seen=late.fingerprint)
        assert outcome_figures(statement)["total"] == 6, "the portal's figures move on"
        report = OutcomeReport.objects.get(pk=report.pk)
        assert report.figures["total"] == 5 and counts(report, "country")["United States"] == 1


class TestAdminPublishing:
    @pytest.fixture
    def signed_in(self, client, publisher):
        client.force_login(publisher)
        reauthenticate(client)
        return publisher

    @staticmethod
    def publish_url(report):
        return f"/admin/priorities/outcomereport/{report.pk}/publish/"

    def test_the_report_is_written_in_the_three_languages_in_the_admin(self, client, signed_in, statement):
        response = client.post(
            "/admin/priorities/outcomereport/add/",
            {
                "statement": statement.pk,
                **{f"summary_{code}": SUMMARIES[code] for code in LANGUAGES},
                "themes-TOTAL_FORMS": "1",
                "themes-INITIAL_FORMS": "0",
                "themes-0-order": "1",
                **{f"themes-0-{field}_{code}": THEME[field][code] for field in THEME for code in LANGUAGES},
            },
        )
        assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
        report = OutcomeReport.objects.get(statement=statement)
        assert report.missing_languages() == [] and report.themes.get().title_es == THEME["title"]["es"]
        assert report.status == OutcomeReport.Status.DRAFT

    def test_the_draft_offers_publish(self, client, signed_in, statement):
        report = write_report(statement)
        page = client.get(f"/admin/priorities/outcomereport/{report.pk}/change/")
        assert f'href="{self.publish_url(report)}"' in page.text

    def test_publication_before_the_period_closes_is_refused_with_the_reason(self, client, signed_in, statement):
        report = write_report(statement)
        page = client.get(self.publish_url(report))
        assert "The comment period has not closed" in page.text
        response = client.post(self.publish_url(report))
        assert response.status_code == 200
        assert "The comment period has not closed" in response.text
        assert OutcomeReport.objects.get(pk=report.pk).status == OutcomeReport.Status.DRAFT

    def test_publication_with_a_language_missing_is_refused_with_the_reason(self, client, signed_in, statement):
        report = write_report(statement, languages=("en", "fr"))
        close_period(statement, signed_in)
        response = client.post(self.publish_url(report))
        assert "The report has no Spanish text" in response.text
        assert OutcomeReport.objects.get(pk=report.pk).status == OutcomeReport.Status.DRAFT

    def test_publishing_needs_the_password_given_again(self, client, statement, publisher):
        client.force_login(publisher)  # signed in, but not in the last few minutes
        report = write_report(statement)
        close_period(statement, publisher)
        response = client.post(self.publish_url(report))
        assert response.status_code == 302 and "/reauthenticate/" in response["Location"]
        assert OutcomeReport.objects.get(pk=report.pk).status == OutcomeReport.Status.DRAFT

    def test_the_permission_ladder(self, client, statement, publisher, moderator):
        report = write_report(statement)
        close_period(statement, publisher)
        url = self.publish_url(report)
        assert client.post(url).status_code == 302  # anonymous: to the admin's sign-in
        client.force_login(make_user(staff=True, mfa=True))  # staff, without the publishers' permissions
        reauthenticate(client)
        assert client.post(url).status_code == 403
        assert client.get("/admin/priorities/outcomereport/add/").status_code == 403
        assert OutcomeReport.objects.get(pk=report.pk).status == OutcomeReport.Status.DRAFT

    def test_a_publisher_publishes_and_the_report_is_then_read_only(self, client, signed_in, statement):
        report = write_report(statement)
        close_period(statement, signed_in)
        response = client.post(self.publish_url(report), follow=True)
        assert "The report is published." in response.text
        report.refresh_from_db()
        assert report.is_published() and report.published_by == signed_in
        change = client.post(
            f"/admin/priorities/outcomereport/{report.pk}/change/", {"summary_en": "Rewritten afterwards."}
        )
        assert change.status_code == 403
        assert OutcomeReport.objects.get(pk=report.pk).summary_en == SUMMARIES["en"]


class TestPublicPages:
    @pytest.fixture
    def published(self, statement, publisher, conversation):
        report = write_report(statement)
        close_period(statement, publisher)
        return outcome_report_publish(report=report, by=publisher)

    @pytest.mark.parametrize("lang", LANGUAGES)
    def test_the_statement_page_links_the_report_with_its_date(self, client, published, lang):
        page = client.get(f"/{lang}/statements/{published.statement.slug}/")
        link = f'href="/{lang}/statements/{published.statement.slug}/what-we-heard/"'
        assert link in page.text
        said = {"en": "What we heard", "fr": "Ce que nous avons entendu", "es": "Lo que escuchamos"}[lang]
        assert said in page.text

    def test_the_cached_statement_page_links_the_report_as_soon_as_it_is_published(self, client, statement, publisher):
        report = write_report(statement)
        close_period(statement, publisher)
        url = f"/en/statements/{statement.slug}/"
        assert "what-we-heard" not in client.get(url).text
        assert "what-we-heard" not in client.get(url).text  # now from the page cache
        outcome_report_publish(report=report, by=publisher)
        assert f"/en/statements/{statement.slug}/what-we-heard/" in client.get(url).text

    @pytest.mark.parametrize("lang", LANGUAGES)
    def test_the_report_page_in_each_language(self, client, published, lang):
        page = client.get(f"/{lang}/statements/{published.statement.slug}/what-we-heard/")
        assert page.status_code == 200
        assert SUMMARIES[lang].replace("**", "").split(" ")[0] in page.text
        assert THEME["response"][lang] in page.text
        # Accessible tables: a caption each, headings scoped.
        assert page.text.count("<caption>") == len(published.figures["tables"]) == 5
        assert '<th scope="row">' in page.text and '<th scope="col"' in page.text

    def test_the_report_page_shows_when_the_figures_were_computed(self, client, published):
        page = client.get(f"/en/statements/{published.statement.slug}/what-we-heard/")
        computed = date_format(published.figures_computed_at, "DATE_FORMAT")
        assert f"5 published comments, as counted on {computed}, when this report was published." in page.text
        assert "1 received an official response (20.0%)" in page.text

    def test_a_draft_report_is_not_public_but_publishers_preview_it(self, client, statement, publisher):
        write_report(statement)
        url = f"/en/statements/{statement.slug}/what-we-heard/"
        assert client.get(url).status_code == 404
        client.force_login(publisher)
        page = client.get(url)
        assert page.status_code == 200 and "Preview: this report is a draft." in page.text

    def test_the_sitemap_lists_the_report_in_each_language(self, client, published, statement):
        draft = write_report(make_statement())
        sitemap = client.get("/sitemap.xml").text
        for lang in LANGUAGES:
            assert f"http://testserver/{lang}/statements/{statement.slug}/what-we-heard/" in sitemap
        assert f"/statements/{draft.statement.slug}/what-we-heard/" not in sitemap

    @pytest.mark.parametrize("lang", LANGUAGES)
    def test_the_statements_feed_announces_the_report(self, client, published, lang):
        feed = feedparser.parse(client.get(f"/{lang}/statements/feed/").content)
        assert not feed.bozo
        [entry] = [entry for entry in feed.entries if entry.link.endswith("/what-we-heard/")]
        assert entry.link.endswith(f"/{lang}/statements/{published.statement.slug}/what-we-heard/")
        title = published.statement.title_en if lang == "en" else getattr(published.statement, f"title_{lang}")
        assert title in entry.title
        assert entry.title != title, "said as the report, not as the statement"
        assert feed.entries[0].link == entry.link, "the newest publication first"

    def test_the_feed_reads_the_same_number_of_rows_whatever_the_number_of_reports(self, client, publisher):
        def publish_one():
            report = write_report(make_statement())
            close_period(report.statement, publisher)
            outcome_report_publish(report=report, by=publisher)

        def queries():
            with CaptureQueriesContext(connection) as captured:
                feed = feedparser.parse(client.get("/en/statements/feed/").content)
            return len(captured), sum(entry.link.endswith("/what-we-heard/") for entry in feed.entries)

        publish_one()
        few = queries()
        for _ in range(3):
            publish_one()
        many = queries()
        assert (few[1], many[1]) == (1, 4)
        assert few[0] == many[0]

    def test_the_report_page_reads_three_rows_whatever_the_conversation(
        self, client, published, django_assert_num_queries
    ):
        """The figures are stored with the report: the page never counts comments."""
        url = f"/en/statements/{published.statement.slug}/what-we-heard/"
        # The cache generation's next scheduled change, the statement, the report, its themes.
        with django_assert_num_queries(4):
            client.get(url)
