"""
"What we heard": the conversation's figures for a statement's outcome report, frozen at publication.

The report itself is part of the published record (priorities.OutcomeReport: its texts, its page,
the statement page's link, the statements feed). What it says of the conversation is computed
here, where the comments are, and handed to the record's publishing service, which stores it as
a snapshot with the time it was computed: the report shows the figures as they were when it was
published, whatever is approved, hidden or deleted afterwards.

Each table of figures is one `Figure` in FIGURES; its labels are stored in the three languages,
so the record's page shows them without asking the conversation.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from priorities import services as publishing
from priorities.models import OutcomeReport, Statement

from .models import Comment, Notice, OfficialResponse, Stakeholder
from .notifications import notify_statement_followers
from .participation import NOT_KNOWN, OWN_NAME


@dataclass(frozen=True)
class Figure:
    """One table of the report's figures: published comments counted by `count`, each key named by `label`."""

    key: str
    title: str
    heading: str
    count: Callable[[QuerySet], Iterable[tuple[object, int]]]
    label: Callable[[object], str]


def by_field(field: str) -> Callable[[QuerySet], list[tuple[object, int]]]:
    """Counts of comments grouped by one field (one query), largest first."""

    def count(comments: QuerySet) -> list[tuple[object, int]]:
        grouped = comments.order_by().values_list(field).annotate(n=Count("pk")).values_list(field, "n")
        return sorted(grouped, key=lambda row: (-row[1], str(row[0])))

    return count


def choice_label(choices) -> Callable[[object], str]:
    labels = dict(choices)
    # No profile (a deleted account): said as the participation figures say it.
    return lambda key: labels.get(key, NOT_KNOWN)


def by_campaign(comments: QuerySet) -> list[tuple[str, int]]:
    """Comments sent as part of a campaign (near-identical texts from several people) and the others (one query)."""
    counted = comments.aggregate(
        in_campaign=Count("pk", filter=Q(campaign__isnull=False)), alone=Count("pk", filter=Q(campaign__isnull=True))
    )
    return [(key, n) for key, n in (("campaign", counted["in_campaign"]), ("individual", counted["alone"])) if n]


CAMPAIGN_KINDS = {
    "campaign": _("Part of a campaign (near-identical texts from several participants)"),
    "individual": _("Individual submissions"),
}

# The tables of every outcome report, in this order (the record's page shows whatever is stored).
FIGURES = [
    Figure(
        "country",
        _("By country"),
        _("Country"),
        by_field("author__stakeholder__country"),
        choice_label(Stakeholder.Country.choices),
    ),
    Figure(
        "sector",
        _("By sector"),
        _("Sector"),
        by_field("author__stakeholder__sector"),
        choice_label(Stakeholder.Sector.choices),
    ),
    Figure(
        "language",
        _("By language"),
        _("Language"),
        by_field("language"),
        choice_label(settings.LANGUAGES),
    ),
    # The type (sector) of the verified organisation a comment was submitted on behalf of; the others
    # were written in their authors' own names.
    Figure(
        "organisation_type",
        _("By organisation type"),
        _("Organisation type"),
        by_field("on_behalf_of__sector"),
        lambda key: OWN_NAME if key is None else choice_label(Stakeholder.Sector.choices)(key),
    ),
    Figure("campaigns", _("Campaigns"), _("Submission"), by_campaign, CAMPAIGN_KINDS.__getitem__),
]


def _in_each_language(text) -> dict[str, str]:
    said = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            said[code] = str(text)
    return said


def outcome_figures(statement: Statement) -> dict:
    """
    The snapshot the report keeps: published comments on `statement` (Comment.objects.published(),
    as every public figure counts them), how many received an official response, and each FIGURES
    table with its labels in the three languages. One query for the totals, one per table.
    """
    comments = Comment.objects.published().filter(statement=statement)
    totals = comments.aggregate(
        total=Count("pk"),
        answered=Count("pk", filter=Q(Exists(OfficialResponse.objects.filter(comment=OuterRef("pk"))))),
    )
    return {
        "total": totals["total"],
        "answered": totals["answered"],
        "tables": [
            {
                "key": figure.key,
                "title": _in_each_language(figure.title),
                "heading": _in_each_language(figure.heading),
                "rows": [
                    {"key": key, "label": _in_each_language(figure.label(key)), "count": n}
                    for key, n in figure.count(comments)
                ],
            }
            for figure in FIGURES
        ],
    }


@transaction.atomic
def outcome_report_publish(*, report: OutcomeReport, by: AbstractBaseUser) -> OutcomeReport:
    """
    Publish `report` (priorities.services.outcome_report_publish: refused before the comment period
    closes, with a language missing, or by anyone but a publisher) with the figures computed now, and
    tell the statement's followers in the same transaction: the outbox writes their emails only if the
    report is published, and each in the follower's language.
    """
    published = publishing.outcome_report_publish(report=report, by=by, figures=outcome_figures)
    notify_statement_followers(
        published.statement,
        Notice.Event.OUTCOME_PUBLISHED,
        link=("priorities:statement-outcome", [published.statement.slug]),
    )
    return published
