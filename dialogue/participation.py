"""
The participation dashboard: who takes part, in which language, when, and how often they are answered.

Public figures only: approved comments on published statements, counted by the database
(one aggregate query per table, whatever the number of comments), for the whole portal, one
statement or one priority (and by the verified organisation they were submitted on behalf of).
Shown as plain tables, each with a bar chart drawn server-side in
SVG (width/height attributes, no inline styles, no script), so it reads without JavaScript;
then two cross-tabulations (country by sector, country by language), one query each.
"""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import TruncMonth
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _

from pagecache.cache import cache_public_page
from priorities.models import Priority, Statement

from .models import Comment, OfficialResponse, Stakeholder

CHART_WIDTH = 300  # the SVG width, in user units, of the longest bar


@dataclass
class Row:
    key: object
    label: str
    count: int
    share: float  # of the table's total, 0..1
    scale: float = 0.0  # of the table's largest row, 0..1: the bar's length

    @property
    def percent(self) -> str:
        return f"{self.share * 100:.1f}"

    @property
    def bar_width(self) -> int:
        return max(1, round(self.scale * CHART_WIDTH)) if self.count else 0


@dataclass
class Table:
    title: str
    key_heading: str
    rows: list[Row]


@dataclass
class CrossTab:
    """Counts by two dimensions: one row per value of the first, one column per value of the second."""

    title: str
    row_heading: str
    columns: list[str]
    rows: list[tuple[str, list[int], int]]  # (label, a count per column, the row's total)
    column_totals: list[int]
    total: int


@dataclass
class Participation:
    total: int
    responded: int
    tables: list[Table]
    crosstabs: list[CrossTab]

    @property
    def responded_share(self) -> str:
        return f"{(self.responded / self.total * 100) if self.total else 0:.1f}"


def _table(title, key_heading, counts, labels, total, order=None):
    rows = [
        Row(key=key, label=labels(key), count=count, share=(count / total if total else 0)) for key, count in counts
    ]
    if order is None:
        rows.sort(key=lambda row: (-row.count, str(row.label)))
    # Bars are scaled to the largest row, so the chart uses its width; the table gives the shares.
    largest = max((row.count for row in rows), default=0)
    for row in rows:
        row.scale = row.count / largest if largest else 0
    return Table(title=title, key_heading=key_heading, rows=rows)


def _crosstab(title, row_heading, counts, row_labels, column_labels) -> CrossTab:
    """`counts`: (row key, column key, n) rows from one grouped query. Rows and columns in the order of
    their labels' choices (those with no comment left out), the unknown (deleted accounts) last."""
    cells = {(row, column): n for row, column, n in counts}
    row_keys = _present(row_labels, {row for row, _column in cells})
    column_keys = _present(column_labels, {column for _row, column in cells})
    rows = []
    for row in row_keys:
        counts_in_row = [cells.get((row, column), 0) for column in column_keys]
        rows.append((row_labels.get(row, NOT_KNOWN), counts_in_row, sum(counts_in_row)))
    return CrossTab(
        title=title,
        row_heading=row_heading,
        columns=[column_labels.get(column, NOT_KNOWN) for column in column_keys],
        rows=rows,
        column_totals=[sum(row[1][index] for row in rows) for index in range(len(column_keys))],
        total=sum(cells.values()),
    )


def _present(labels: dict, keys: set) -> list:
    return [key for key in labels if key in keys] + [key for key in keys if key not in labels]


NOT_KNOWN = _("Not known (account deleted)")
OWN_NAME = _("In their own name")


def participation(comments) -> Participation:
    """Figures for a queryset of published comments (Comment.objects.published()): eight queries."""
    totals = comments.aggregate(
        total=Count("pk"),
        responded=Count("pk", filter=Q(Exists(OfficialResponse.objects.filter(comment=OuterRef("pk"))))),
    )
    total = totals["total"]
    countries = dict(Stakeholder.Country.choices)
    sectors = dict(Stakeholder.Sector.choices)
    languages = dict(Comment._meta.get_field("language").choices)
    not_known = NOT_KNOWN

    def grouped(*fields):
        return list(comments.order_by().values_list(*fields).annotate(n=Count("pk")).values_list(*fields, "n"))

    by_month = list(
        comments.order_by()
        .annotate(month=TruncMonth("submitted_at"))
        .values_list("month")
        .annotate(n=Count("pk"))
        .values_list("month", "n")
        .order_by("month")
    )
    return Participation(
        total=total,
        responded=totals["responded"],
        tables=[
            _table(
                _("By country"),
                _("Country"),
                grouped("author__stakeholder__country"),
                lambda key: countries.get(key, not_known),
                total,
            ),
            _table(
                _("By sector"),
                _("Sector"),
                grouped("author__stakeholder__sector"),
                lambda key: sectors.get(key, not_known),
                total,
            ),
            _table(_("By language"), _("Language"), grouped("language"), lambda key: languages.get(key, key), total),
            _table(
                _("By month"),
                _("Month"),
                by_month,
                lambda key: key.strftime("%Y-%m"),
                total,
                order="chronological",
            ),
            # Comments submitted on behalf of a verified organisation, by organisation; the rest in their
            # authors' own names (anonymous ones among them).
            _table(
                _("By organisation"),
                _("On behalf of"),
                grouped("on_behalf_of__name"),
                lambda key: key or OWN_NAME,
                total,
            ),
        ],
        crosstabs=[
            _crosstab(
                _("By country and sector"),
                _("Country"),
                grouped("author__stakeholder__country", "author__stakeholder__sector"),
                countries,
                sectors,
            ),
            _crosstab(
                _("By country and language"),
                _("Country"),
                grouped("author__stakeholder__country", "language"),
                countries,
                languages,
            ),
        ],
    )


@cache_public_page
def dashboard(request):
    """Participation across the portal, with links to each statement's and priority's figures."""
    return render(
        request,
        "dialogue/participation.html",
        {
            "figures": participation(Comment.objects.published()),
            "statements": Statement.objects.published(),
            "priorities": Priority.objects.all(),
        },
    )


@cache_public_page(tags=lambda request, slug: [Statement.cache_tag_for(slug)])
def statement_dashboard(request, slug):
    statement = get_object_or_404(Statement.objects.published(), slug=slug)
    return render(
        request,
        "dialogue/participation.html",
        {"figures": participation(Comment.objects.published().filter(statement=statement)), "statement": statement},
    )


@cache_public_page
def priority_dashboard(request, slug):
    priority = get_object_or_404(Priority, slug=slug)
    return render(
        request,
        "dialogue/participation.html",
        {"figures": participation(Comment.objects.published().filter(priority=priority)), "priority": priority},
    )
