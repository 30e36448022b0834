"""
Search across published statements, their directives and approved comments.

It composes both apps, so it lives in the project package. Two engines, one page:

- PostgreSQL: full-text search with each language's text-search configuration (english,
  french, spanish), so "frontières" finds "frontière" and "fronteras" finds "frontera", and
  accent-insensitive ("energia" finds "energía"). The vectors are stored: generated tsvector
  columns over the unaccented text (search_en/_fr/_es on statements and directives, added by
  priorities/migrations/0012; search_vector on comments, with the configuration of the comment's
  `language`, over the body and the attachments' text, dialogue/migrations/0011 and 0013), each
  with a GIN index. Matching and ranking
  (ts_rank) read the column, so no matching text is parsed again; only the page's 20 results are,
  for their highlighted snippets (ts_headline, with configurations that unaccent each word, so the
  accented word as written is marked). A query that finds nothing is tried once more with each
  misspelt word replaced by the closest word of the published texts (pg_trgm; corrected_text).
- SQLite (the embedded default): every word must begin a word of the text, case and accents
  ignored. Comments through an FTS5 index of the approved ones (dialogue_comment_fts, kept by
  triggers, dialogue/migrations/0019), which hands over the newest matches first and ranks them
  with bm25(); statements and directives, a few dozen, with icontains (rank 0, after the comments).
  A snippet around the first word found, with the words marked.

Without filters the UNION's SQL is built once per process for each number of words, and each
search swaps in its words and the time (_all_matches): building it cost more than running it.
One page of results costs a fixed number of queries: one for the page over the UNION of the
three kinds (kind, id, rank, date) and the number of matches with it (CountingPaginator), then
one query per kind on the page to fetch the objects (with their headlines on PostgreSQL), and
one for the size of the campaigns its comments belong to, if any does. A
search that finds nothing on PostgreSQL adds one query for the corrections, and, if there are
any, the same queries for the corrected text.
"""

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVectorField
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connection, connections, router
from django.db.models import Case, Expression, F, FloatField, Func, Q, QuerySet, TextField, Value, When
from django.db.models.functions import Concat, Greatest, Replace
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from dialogue.campaigns import published_sizes
from dialogue.models import Comment, Organisation, Stakeholder
from priorities.forms import StatementFilterForm
from priorities.models import Directive, Priority, Statement
from safeguards.ratelimit import rate_limit

LANGUAGE_CONFIGS = {"en": "english", "fr": "french", "es": "spanish"}
MAX_QUERY_LENGTH = 200
RESULTS_PER_PAGE = 20
# The most matches of one kind that are ranked: the newest CANDIDATES (and one more, to know there are
# more). A word common in a large consultation matches tens of thousands of comments; finding, counting
# and ranking all of them cost more than the page (issue 17), while no one reads past the first pages.
CANDIDATES = 1_000
MAX_TERMS = 12
SNIPPET_CHARS = 220
# Private-use characters mark the matches in a headline: the text around them is escaped,
# then they become <mark> tags, so nothing a comment or statement contains reaches the page as HTML.
# The same characters typed into a comment are removed from its text before it is marked (_window,
# _headline): only the marks the search itself made become tags.
MARK_START, MARK_STOP = "\ue000", "\ue001"


# --- The stored vectors ------------------------------------------------------


class StoredVector(Expression):
    """
    A tsvector column that the migrations add on PostgreSQL (generated and stored), read by name.

    Not a model field: every query of the model would then fetch it, and SQLite has no such column.
    """

    output_field = SearchVectorField()

    def __init__(self, column: str):
        super().__init__()
        self.column = column
        self.alias = None

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        resolved = self.copy()
        resolved.alias = query.get_initial_alias()
        return resolved

    def relabeled_clone(self, change_map):
        clone = self.copy()
        clone.alias = change_map.get(self.alias, self.alias)
        return clone

    def as_sql(self, compiler, connection):
        return f"{compiler.quote_name_unless_alias(self.alias)}.{connection.ops.quote_name(self.column)}", []


class Unaccented(Func):
    """spp_unaccent(text): unaccent() as IMMUTABLE, as the stored columns are built (priorities 0012)."""

    function = "spp_unaccent"
    output_field = TextField()


def statement_vector(language: str) -> StoredVector:
    """Title (weight A), summary (B) and body in `language`, with its configuration."""
    return StoredVector(f"search_{language}")


def directive_vector(language: str) -> StoredVector:
    return StoredVector(f"search_{language}")


def comment_vector(language: str) -> StoredVector:
    """One column for every comment, built with the configuration of its own language."""
    return StoredVector("search_vector")


def full_text_query(text: str, language: str) -> SearchQuery:
    return SearchQuery(
        Unaccented(Value(text, output_field=TextField())), config=LANGUAGE_CONFIGS[language], search_type="websearch"
    )


# --- The form ------------------------------------------------------------------


class SearchForm(StatementFilterForm):
    """The words and the filters. Invalid filter values are ignored rather than shown as errors."""

    q = forms.CharField(
        label=_("Search for"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "maxlength": MAX_QUERY_LENGTH}),
    )
    language = forms.ChoiceField(label=_("Language"), required=False)
    country = forms.ChoiceField(
        label=_("Country"),
        required=False,
        choices=[("", _("Any country")), *Stakeholder.Country.choices],
        help_text=_("Of the comment's author; statements and directives have none."),
    )
    sector = forms.ChoiceField(
        label=_("Sector"),
        required=False,
        choices=[("", _("Any sector")), *Stakeholder.Sector.choices],
        help_text=_("Of the comment's author; statements and directives have none."),
    )

    organisation = forms.ModelChoiceField(
        label=_("On behalf of"),
        required=False,
        queryset=Organisation.objects.none(),
        empty_label=_("Any"),
        help_text=_("The verified organisation a comment was submitted on behalf of."),
    )

    field_order = ["q", "priority", "year", "language", "country", "sector", "organisation"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("Any language")), *settings.LANGUAGES]
        self.fields["organisation"].queryset = Organisation.objects.verified().only("pk", "name")


def query_problem(text: str | None) -> str | None:
    """Why this query cannot be searched, in words a visitor understands; None if it can."""
    if text is None:
        return _("Your search contains characters that cannot be searched. Please type words.")
    if not text:
        return _("Type one or more words to search statements, directives and comments.")
    if len(text) > MAX_QUERY_LENGTH:
        return _("Your search is longer than %(limit)d characters. Please shorten it.") % {"limit": MAX_QUERY_LENGTH}
    if not terms_of(text):
        return _("Your search has no letters or numbers in it. Please type one or more words.")
    return None


def terms_of(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text)[:MAX_TERMS]


# --- Searching -----------------------------------------------------------------


@dataclass
class Filters:
    priority: Priority | None = None
    year: int | None = None
    language: str = ""
    country: str = ""
    sector: str = ""
    organisation: Organisation | None = None

    @property
    def languages(self) -> list[str]:
        return [self.language] if self.language else list(LANGUAGE_CONFIGS)

    @property
    def comments_only(self) -> bool:
        return bool(self.country or self.sector or self.organisation)


@dataclass
class Result:
    kind: str  # "statement", "directive" or "comment"
    object: Statement | Directive | Comment
    snippet: SafeString
    language: str


def uses_full_text() -> bool:
    return connection.vendor == "postgresql"


def search(text: str, filters: Filters, *, page_number=None):
    """
    One page of results for `text`: a Page whose object_list is a list of Result.

    On PostgreSQL, a text that finds nothing is searched again with its misspelt words corrected;
    if that finds something, it is the page, and page.corrected the text searched instead (None
    otherwise): a correction that finds nothing published is never shown.
    """
    page = _page(text, filters, page_number)
    page.corrected = None
    if not page.paginator.count and uses_full_text():
        corrected = corrected_text(text)
        if corrected:
            retried = _page(corrected, filters, page_number)
            if retried.paginator.count:
                page, page.corrected = retried, corrected
    return page


def _page(text: str, filters: Filters, page_number):
    queries = _full_text_queries(text)
    terms = terms_of(text)
    page = CountingPaginator(_all_matches(text, filters), RESULTS_PER_PAGE).get_page(page_number)
    page.object_list = _hydrate(page.object_list, filters, queries, terms)
    return page


def _full_text_queries(text: str) -> dict[str, SearchQuery] | None:
    return {lang: full_text_query(text, lang) for lang in LANGUAGE_CONFIGS} if uses_full_text() else None


@dataclass(frozen=True)
class Matches:
    """The UNION ALL of each kind's (kind, item, rank, date) rows that match: SQL, and the database it runs on."""

    sql: str
    params: list
    db: str


def _union(parts, db: str) -> Matches:
    """UNION ALL of the parts (they never overlap: kind differs), each wrapped for its ORDER BY and LIMIT."""
    sqls, params = [], []
    for part in parts:
        try:
            sql, part_params = (part if isinstance(part, RawPart) else part.query).sql_with_params()
        except EmptyResultSet:  # a kind the filters leave out (statements, when filtered by author)
            continue
        sqls.append(f"SELECT * FROM ({sql}) AS part{len(sqls)}")  # noqa: S608 - Django's SQL
        params += part_params
    return Matches(" UNION ALL ".join(sqls), params, db)


# Building the three kinds' querysets and compiling them cost more than running them (issue 17):
# without filters, a search's SQL differs from another's only in its words (as many as it has) and
# the time, so it is built once per process for each shape, with marks where those go, and the
# values are swapped in. The querysets (_matches) stay the one place where the query is written.
_TEXT_MARK, _TERM_MARK = "\ue010", "\ue011"
_TIME_MARK = datetime.datetime(2001, 2, 3, 4, 5, 6, 789012, tzinfo=datetime.UTC)
_compiled: dict[tuple, Matches] = {}


def _all_matches(text: str, filters: Filters) -> Matches:
    db = router.db_for_read(Comment)
    terms = terms_of(text)
    if filters != Filters():
        return _union(_parts(text, filters, terms), db)
    key = (db, connections[db].vendor, get_language(), len(terms))
    compiled = _compiled.get(key)
    if compiled is None:
        marks = [f"{_TERM_MARK}{number}{_TERM_MARK}" for number in range(len(terms))]
        compiled = _compiled[key] = _union(_parts(_TEXT_MARK, filters, marks, now=_TIME_MARK), db)
    ops = connections[db].ops
    marked_time, now = (ops.adapt_datetimefield_value(moment) for moment in (_TIME_MARK, timezone.now()))

    def value(param):
        if param == _TEXT_MARK:  # PostgreSQL's query text
            return text
        if isinstance(param, str) and _TERM_MARK in param:  # SQLite's words, in LIKE patterns and the MATCH
            for number, term in enumerate(terms):
                param = param.replace(f"{_TERM_MARK}{number}{_TERM_MARK}", term)
            return param
        return now if param == marked_time else param

    return Matches(compiled.sql, [value(param) for param in compiled.params], db)


def _parts(text: str, filters: Filters, terms: list[str], *, now=None) -> list:
    queries = _full_text_queries(text)
    return [_matches(searched, filters, queries, terms, now=now) for searched in SEARCHED]


class CountingPaginator(Paginator):
    """
    A page of the matches and their number in one query (count(*) OVER ()): the matches are found,
    and ranked, once. A page past the last costs a count and the last page (two more queries).

    `object_list` is the Matches, one query per kind, each its newest CANDIDATES + 1 matches: only the newest
    CANDIDATES of each kind are ranked, counted and shown. When a kind has more, `capped` is set and
    the page says "more than 1,000 results" (`cap`): the pages are the most relevant of the newest.
    """

    ORDER = "rank DESC, date DESC, kind, item"

    def _check_object_list_is_ordered(self):
        """Each part is ordered by date for its cap; the page by ORDER."""

    def _numbered(self):
        """
        The matches, each numbered among the newest of its kind (the parts' one row more than
        CANDIDATES shows that there are more, and is not shown), with the highest number of all.
        """
        sql, params = self.object_list.sql, self.object_list.params
        return (
            "SELECT *, max(newest) OVER () AS most FROM ("  # noqa: S608 - Django's SQL
            f"SELECT *, row_number() OVER (PARTITION BY kind ORDER BY date DESC, item DESC) AS newest FROM ({sql}) AS u"
            ") AS numbered",
            params,
        )

    def get_page(self, number):
        try:
            number = max(1, int(number))
        except (TypeError, ValueError):
            number = 1
        self.cap, self.capped = CANDIDATES, False
        rows, total = self._rows(number)
        if not rows and number > 1:
            sql, params = self._numbered()
            with connections[self.object_list.db].cursor() as cursor:
                cursor.execute(
                    f"SELECT count(*), max(most) FROM ({sql}) AS flagged WHERE newest <= %s",  # noqa: S608
                    [*params, CANDIDATES],
                )
                total, most = cursor.fetchone()
            self.capped = (most or 0) > CANDIDATES
            number = max(1, -(-total // self.per_page))
            rows, total = self._rows(number) if total else ([], 0)
        self.__dict__["count"] = total  # Paginator.count is a cached_property: no COUNT query
        return self._get_page(rows, number, self)

    def _rows(self, number):
        sql, params = self._numbered()
        with connections[self.object_list.db].cursor() as cursor:
            cursor.execute(
                f"SELECT kind, item, rank, date, count(*) OVER (), most FROM ({sql}) AS flagged "  # noqa: S608
                f"WHERE newest <= %s ORDER BY {self.ORDER} LIMIT %s OFFSET %s",
                [*params, CANDIDATES, self.per_page, (number - 1) * self.per_page],
            )
            found = cursor.fetchall()
        if found:
            self.capped = found[0][5] > CANDIDATES
        return [row[:4] for row in found], (found[0][4] if found else 0)


@dataclass(frozen=True)
class Searched:
    """One kind of result: which rows may be found, how the filters apply to them, what text is searched."""

    kind: str
    rows: Callable[..., QuerySet]  # given `now`: what is public then (the clock's time when None)
    priority: str  # the lookup that the priority filter applies to
    year: str  # the lookup that the year filter applies to (the statement's year, as in the archive)
    text_fields: Callable[[str], list[str]]  # the fields searched in a language (SQLite, without full_text_table)
    vector: Callable[[str], StoredVector]  # their stored vector in a language (PostgreSQL)
    date: str
    # A comment is written in one language (its `language`) and indexed only under it; the
    # record has a text per language. Only comments have an author, so only they take the
    # author's filters (country, sector) and the language filter as a filter on rows.
    written_in_one_language: bool = False
    # SQLite: the FTS5 table that indexes the published rows' text, rowid their id (dialogue/migrations/0019).
    full_text_table: str | None = None


SEARCHED = [
    Searched(
        kind="statement",
        rows=lambda now: Statement.objects.published(now=now),
        priority="priorities",
        year="release_date__year",
        text_fields=lambda lang: [f"title_{lang}", f"summary_{lang}", f"body_{lang}"],
        vector=statement_vector,
        date="published_at",
    ),
    Searched(
        kind="directive",
        rows=lambda now: Directive.objects.published(now=now),
        priority="priority",
        year="statement__release_date__year",
        text_fields=lambda lang: [f"text_{lang}"],
        vector=directive_vector,
        date="statement__published_at",
    ),
    Searched(
        kind="comment",
        rows=lambda now: Comment.objects.published(now=now),
        priority="priority",
        year="statement__release_date__year",
        text_fields=lambda lang: ["body", "attachments_text"],
        vector=comment_vector,
        date="submitted_at",
        written_in_one_language=True,
        full_text_table="dialogue_comment_fts",
    ),
]


def _rows(searched: Searched, filters: Filters, now=None) -> QuerySet:
    """The public rows of one kind that the filters leave."""
    rows = searched.rows(now)
    if searched.written_in_one_language:
        author_filters = {
            "language": filters.language,
            "author__stakeholder__country": filters.country,
            "author__stakeholder__sector": filters.sector,
            "on_behalf_of": filters.organisation,
        }
        rows = rows.filter(**{lookup: value for lookup, value in author_filters.items() if value})
    elif filters.comments_only:
        rows = rows.none()
    if filters.priority:
        rows = rows.filter(**{searched.priority: filters.priority})
    if filters.year:
        rows = rows.filter(**{searched.year: filters.year})
    return rows


def _matches(searched: Searched, filters: Filters, queries, terms, *, now=None):
    """The one query builder: the (kind, item, rank, date) rows of one kind that match (PostgreSQL or SQLite)."""
    rows = _rows(searched, filters, now)
    if queries is None and searched.full_text_table:
        return _full_text_matches(searched, rows, terms)
    if queries is None:
        fields = dict.fromkeys(field for lang in filters.languages for field in searched.text_fields(lang))
        rows = rows.filter(_icontains_all(list(fields), terms))
        return _columns(rows, searched.kind, Value(0.0, output_field=FloatField()), F(searched.date))
    rows = rows.alias(**{f"v_{lang}": searched.vector(lang) for lang in filters.languages})
    condition = Q()
    ranks = []
    for lang in filters.languages:
        rank = SearchRank(searched.vector(lang), queries[lang])
        if searched.written_in_one_language:
            # Each branch names its language, so each can use that language's partial index.
            condition |= Q(language=lang) & Q(**{f"v_{lang}": queries[lang]})
            ranks.append(When(language=lang, then=rank))
        else:
            condition |= Q(**{f"v_{lang}": queries[lang]})
            ranks.append(rank)
    if searched.written_in_one_language:
        best = Case(*ranks, default=Value(0.0), output_field=FloatField())
    else:
        best = ranks[0] if len(ranks) == 1 else Greatest(*ranks)
    return _columns(rows.filter(condition), searched.kind, best, F(searched.date))


def _columns(queryset, kind: str, rank, date):
    """The four columns the UNION is made of, in the same order for every kind."""
    queryset = queryset.order_by().annotate(kind=Value(kind), item=F("pk"), rank=rank, date=date)
    if hasattr(queryset, "rewrite"):
        # modeltranslation's values_list() reorders annotations; the UNION needs Django's own.
        queryset = queryset.rewrite(False)
    # The newest first, for the cap: the index on (status, date) finds them without visiting every match
    # (SQLite's comments: _full_text_matches, by id).
    return queryset.values_list("kind", "item", "rank", "date").order_by(F("date").desc(), F("item").desc())[
        : CANDIDATES + 1
    ]


@dataclass(frozen=True)
class RawPart:
    """One kind's (kind, item, rank, date) rows written in SQL, for the UNION beside the QuerySets."""

    sql: str
    params: list
    db: str

    def sql_with_params(self):
        return self.sql, self.params


def _full_text_matches(searched: Searched, rows: QuerySet, terms: list[str]) -> "RawPart | QuerySet":
    """
    SQLite: the newest CANDIDATES + 1 of `rows` whose text has a word beginning with each term,
    found by the FTS5 index, which walks its matches newest first (rowid DESC) and stops there;
    ranked by bm25() (below 0, lower is better) brought into [0, 1), higher better.
    """
    table = searched.full_text_table
    # Each term a quoted prefix; terms are letters and digits only (terms_of), so nothing to escape.
    match = " ".join(f'"{term}"*' for term in terms)
    try:
        base, params = rows.order_by().values(found_id=F("pk"), found_date=F(searched.date)).query.sql_with_params()
    except EmptyResultSet:
        return rows  # nothing can match: the UNION leaves it out
    # bm25() named once, in the inner query: written twice in one expression, it was computed twice.
    sql = (
        "SELECT %s AS kind, item, -score / (1 - score) AS rank, date FROM ("  # noqa: S608 - names from the code
        f"SELECT {table}.rowid AS item, bm25({table}) AS score, found.found_date AS date "
        f"FROM {table} JOIN ({base}) AS found ON found.found_id = {table}.rowid "
        f"WHERE {table} MATCH %s ORDER BY {table}.rowid DESC LIMIT %s) AS matched"
    )
    return RawPart(sql, [searched.kind, *params, match, CANDIDATES + 1], rows.db)


def _icontains_all(fields: list[str], terms: list[str]) -> Q:
    """Every term in at least one of the fields."""
    condition = Q()
    for term in terms:
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"{field}__icontains": term})
        condition &= any_field
    return condition


# --- Typos (PostgreSQL) ---------------------------------------------------------

CORRECTED_MIN_LENGTH = 4  # shorter words have too few trigrams to guess from (and the table has none)
CORRECTION_MIN_SIMILARITY = 0.4  # pg_trgm's similarity() between the typed word and its correction

CORRECTIONS_SQL = """
SELECT typed.term, best.word, best.similarity, best.same
FROM unnest(%s::text[]) AS typed (term)
CROSS JOIN LATERAL (
    SELECT word,
           similarity(spp_unaccent(word), spp_unaccent(typed.term)) AS similarity,
           spp_unaccent(word) = spp_unaccent(typed.term) AS same
    FROM spp_search_word
    WHERE spp_unaccent(word) %% spp_unaccent(typed.term)
    ORDER BY 2 DESC, word <> spp_unaccent(word) DESC, word
    LIMIT 1
) AS best
"""


def corrected_text(text: str) -> str | None:
    """
    `text` with each word that no published text contains replaced by the closest word that one
    does, or None when there is nothing to correct. One query.

    The words are those of spp_search_word (priorities/migrations/0012: the words of published
    statements, their directives and approved comments, added by triggers), the closest found
    through its trigram index (pg_trgm's `%` and similarity(), accents ignored; the accented
    spelling preferred). A word found as typed is kept. The caller shows the correction only if
    the corrected text finds something.
    """
    checked = list(dict.fromkeys(term.lower() for term in terms_of(text) if len(term) >= CORRECTED_MIN_LENGTH))
    if not checked:
        return None
    # From where the request's other reads come (a replica for the public pages, spp_portal/replicas.py).
    with connections[router.db_for_read(Comment)].cursor() as cursor:
        cursor.execute(CORRECTIONS_SQL, [checked])
        found = cursor.fetchall()
    corrections = {
        term: word for term, word, similarity, same in found if not same and similarity >= CORRECTION_MIN_SIMILARITY
    }
    if not corrections:
        return None
    return re.sub(r"[^\W_]+", lambda match: corrections.get(match.group(0).lower(), match.group(0)), text)


# --- Turning a page of (kind, id) into results with snippets ---------------------


# A comment's searched text: its body, then the text of its attachments (as the stored vector,
# dialogue/migrations/0013), so a match in an attached file is marked in the snippet too.
COMMENT_TEXT = Concat("body", Value(" "), "attachments_text", output_field=TextField())


def _headline(expression, lang: str, queries):
    unmarked = Replace(Replace(expression, Value(MARK_START), Value("")), Value(MARK_STOP), Value(""))
    return SearchHeadline(
        unmarked,
        queries[lang],
        # The same stemmer after unaccent, word by word: the word is marked as written, accents and all.
        config=f"spp_{LANGUAGE_CONFIGS[lang]}",
        start_sel=MARK_START,
        stop_sel=MARK_STOP,
        max_words=35,
        min_words=15,
        max_fragments=2,
        fragment_delimiter=" … ",
    )


# What a comment result shows (templatetags/search_results.py, with dialogue's comment_author) and nothing more:
# with_public_author() and select_related("statement") read every column of the five tables, the
# statement's texts in three languages copied into each of the 20 rows, which cost more than the search.
COMMENT_RESULT_FIELDS = (
    "tracking_number",
    "body",
    "attachments_text",
    "language",
    "submitted_at",
    "anonymous",
    "campaign",
    "author__stakeholder__display_name",
    "author__stakeholder__country",
    "author__stakeholder__sector",
    "author__stakeholder__organisation",
    "on_behalf_of__name",
    "on_behalf_of__status",
    "statement__slug",
    *[f"statement__title_{lang}" for lang, _name in settings.LANGUAGES],
)


def _hydrate(rows, filters: Filters, queries, terms) -> list[Result]:
    wanted = {"statement": [], "directive": [], "comment": []}
    for kind, pk, _rank, _date in rows:
        wanted[kind].append(pk)
    reader = get_language() or settings.LANGUAGE_CODE
    order = [reader, *[lang for lang in filters.languages if lang != reader]]
    order = [lang for lang in order if lang in filters.languages] or filters.languages
    found = {}
    if wanted["statement"]:
        statements = Statement.objects.filter(pk__in=wanted["statement"])
        if queries is not None:
            statements = statements.annotate(
                **{
                    f"headline_{lang}": _headline(
                        Concat(
                            f"title_{lang}",
                            Value(" — "),
                            f"summary_{lang}",
                            Value(" "),
                            f"body_{lang}",
                            output_field=TextField(),
                        ),
                        lang,
                        queries,
                    )
                    for lang in filters.languages
                }
            )
        for statement in statements:
            texts = {
                lang: " ".join(
                    filter(None, [getattr(statement, f"summary_{lang}"), getattr(statement, f"body_{lang}")])
                )
                for lang in filters.languages
            }
            found["statement", statement.pk] = Result("statement", statement, *_snippet(statement, texts, order, terms))
    if wanted["directive"]:
        directives = Directive.objects.filter(pk__in=wanted["directive"]).select_related("statement", "priority")
        if queries is not None:
            directives = directives.annotate(
                **{f"headline_{lang}": _headline(F(f"text_{lang}"), lang, queries) for lang in filters.languages}
            )
        for directive in directives:
            texts = {lang: getattr(directive, f"text_{lang}") or "" for lang in filters.languages}
            found["directive", directive.pk] = Result("directive", directive, *_snippet(directive, texts, order, terms))
    if wanted["comment"]:
        comments = (
            Comment.objects.filter(pk__in=wanted["comment"])
            .select_related("author__stakeholder", "on_behalf_of", "statement")
            .only(*COMMENT_RESULT_FIELDS)
        )
        if queries is not None:
            comments = comments.annotate(
                headline=Case(
                    *[When(language=lang, then=_headline(COMMENT_TEXT, lang, queries)) for lang in filters.languages],
                    default=F("body"),
                    output_field=TextField(),
                )
            )
        comments = list(comments)
        sizes = published_sizes({comment.campaign_id for comment in comments if comment.campaign_id})
        for comment in comments:
            comment.campaign_size = sizes.get(comment.campaign_id, 0)
            text = f"{comment.body}\n\n{comment.attachments_text}".strip()
            snippet = _marked(comment.headline if queries is not None else _window(text, terms))
            found["comment", comment.pk] = Result("comment", comment, snippet, comment.language)
    return [found[kind, pk] for kind, pk, _rank, _date in rows if (kind, pk) in found]


def _snippet(obj, texts: dict[str, str], order: list[str], terms) -> tuple[SafeString, str]:
    """The snippet in the first language that matched, trying the reader's language first."""
    headlines = {lang: getattr(obj, f"headline_{lang}", None) for lang in order}
    if any(headline is not None for headline in headlines.values()):
        for lang in order:
            if headlines[lang] and MARK_START in headlines[lang]:
                return _marked(headlines[lang]), lang
        return _marked(headlines[order[0]] or ""), order[0]
    for lang in order:
        window = _window(texts.get(lang, ""), terms)
        if MARK_START in window:
            return _marked(window), lang
    return _marked(_window(texts.get(order[0], ""), terms)), order[0]


def _window(text: str, terms: list[str]) -> str:
    """About SNIPPET_CHARS characters around the first term found, with every term marked."""
    text = text.replace(MARK_START, "").replace(MARK_STOP, "")
    if not text:
        return ""
    pattern = re.compile("|".join(re.escape(term) for term in terms), re.IGNORECASE) if terms else None
    match = pattern.search(text) if pattern else None
    start = max(0, match.start() - SNIPPET_CHARS // 3) if match else 0
    window = text[start : start + SNIPPET_CHARS]
    if pattern:
        window = pattern.sub(lambda m: f"{MARK_START}{m.group(0)}{MARK_STOP}", window)
    return ("…" if start else "") + window + ("…" if start + SNIPPET_CHARS < len(text) else "")


def _marked(text: str) -> SafeString:
    html = escape(text).replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>")
    return mark_safe(html)  # noqa: S308 - escaped first; only our own <mark> tags are added


# --- The page ------------------------------------------------------------------


FILTERS = ("priority", "year", "language", "country", "sector", "organisation")


def filters_key(form: SearchForm) -> str:
    """
    What the filters' markup depends on, for a valid form: their values as sent. Valid values are
    choices, so there are only as many keys as combinations of choices, whatever a visitor sends.
    Rendering the six fields with crispy-forms cost more than a search (issue 17); the choices
    (priorities, years) are the record's, hence the fragment's tag, and the verified organisations
    change only when a moderator decides on one, which drops every tag (organisation_decide).
    """
    return repr([form.data.get(name, "") for name in FILTERS])


@rate_limit("search", "SEARCH_RATE_LIMIT")
def search_view(request):
    """Search page: the form, a clear message for a query that cannot be searched, or a page of results."""
    form = SearchForm(request.GET)
    valid = form.is_valid()  # filters that do not validate are ignored
    data = form.cleaned_data
    text = data.get("q")
    if text is not None:
        text = text.strip()
    asked = "q" in request.GET
    problem = query_problem(text) if asked else None
    page = None
    if asked and problem is None:
        filters = Filters(
            priority=data.get("priority"),
            year=data.get("year"),
            language=data.get("language") or "",
            country=data.get("country") or "",
            sector=data.get("sector") or "",
            organisation=data.get("organisation"),
        )
        page = search(text, filters, page_number=request.GET.get("page"))
    query_string = request.GET.copy()
    query_string.pop("page", None)
    return render(
        request,
        "search.html",
        {
            "form": form,
            "query": text or "",
            "problem": problem,
            "page": page,
            "query_string": query_string.urlencode(),
            "filters_key": filters_key(form) if valid else "",
        },
    )
