"""
Campaigns: the same text, or a lightly edited one, submitted by many people on one statement.

Two texts are near-identical when the Jaccard similarity of their sets of word shingles (runs of
SHINGLE_WORDS words, case and punctuation ignored) reaches settings.CAMPAIGN_SIMILARITY (0.8).
Comparing a new submission with every comment would grow with the conversation, so each text is
summarised by a MinHash signature (datasketch) cut into BANDS bands of ROWS values; texts that
share any band are the candidates (locality-sensitive hashing). The bands are rows of a table,
(band hash, comment), indexed by band: every app server sees every comment's bands, on SQLite and
PostgreSQL alike, and a lookup costs one index scan whatever the number of comments. Each
candidate is then confirmed with the exact shingle similarity, and the new comment joins the most
similar one's campaign (or forms a campaign with it).

With 20 bands of 5, texts of similarity 0.8 share a band with probability 0.9996, texts of 0.5
with 0.47 and texts of 0.2 with 0.006: near-identical texts are found, and few others are read.

Rules chosen here: only top-level comments of at least MIN_WORDS words are grouped (a reply
answers someone; "I agree" from ten people is not a form letter); a campaign holds at most one
comment per author, so an author repeating themself never makes a campaign on their own (their
second copy stays a comment of its own, which the duplicate check already limits to edited copies).
"""

import difflib
import functools
import hashlib
import re

from datasketch import MinHash
from django.conf import settings
from django.db import connections, router
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from priorities.models import Statement

from .models import Campaign, CampaignBand, Comment
from .precompiled import PrecompiledQuery

SHINGLE_WORDS = 3
MIN_WORDS = 10
BANDS, ROWS = 20, 5
# The seed and scheme of the MinHash (and the bands above) are part of the stored bands: changing them
# needs them rebuilt (delete the CampaignBand rows, then `manage.py index_campaigns`).
MINHASH_SEED, MINHASH_SCHEME = 1, "affine32"
# The candidates confirmed at most (those sharing the most bands first): a bound on the work per submission.
MAX_CANDIDATES = 20

WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    return WORD.findall(text.casefold())


def shingles(text: str) -> set[str]:
    """The text's runs of SHINGLE_WORDS words (a shorter text: its words as one run)."""
    found = words(text)
    if len(found) < SHINGLE_WORDS:
        return {" ".join(found)} if found else set()
    return {" ".join(found[i : i + SHINGLE_WORDS]) for i in range(len(found) - SHINGLE_WORDS + 1)}


def similarity(first: set[str], second: set[str]) -> float:
    """Jaccard similarity of two shingle sets: shared shingles over all shingles."""
    union = first | second
    return len(first & second) / len(union) if union else 0.0


@functools.cache
def _permutations():
    """The MinHash's permutations, drawn from its seed: the same for every text, so drawn once per process."""
    return MinHash(num_perm=BANDS * ROWS, seed=MINHASH_SEED, scheme=MINHASH_SCHEME).permutations


def band_hashes(statement_id: int, text_shingles: set[str]) -> list[int]:
    """
    The MinHash signature's bands, each hashed with the statement and its band number to a signed
    64-bit integer: two comments share a row value only on the same statement, in the same band.
    """
    minhash = MinHash(num_perm=BANDS * ROWS, seed=MINHASH_SEED, scheme=MINHASH_SCHEME, permutations=_permutations())
    minhash.update_batch([shingle.encode() for shingle in sorted(text_shingles)])
    values = minhash.hashvalues
    hashes = []
    for band in range(BANDS):
        key = f"{statement_id}:{band}:".encode() + values[band * ROWS : (band + 1) * ROWS].tobytes()
        hashes.append(int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big", signed=True))
    return hashes


def published_size():
    """
    An annotation for a comment queryset: how many published comments its campaign holds, itself
    included (0 outside a campaign). What readers are told ("and N similar submissions", "part of a
    campaign of N") counts only these.
    """
    members = _published_members().filter(campaign=OuterRef("campaign")).values("campaign").annotate(n=Count("*"))
    return Coalesce(Subquery(members.values("n"), output_field=IntegerField()), Value(0))


def published_sizes(campaign_ids) -> dict[int, int]:
    """
    published_size() for a few campaigns at once, by id: one query, and none without a campaign.
    Search results are rarely part of one; the annotation's subquery cost each of them as much as
    reading it (issue 17).
    """
    if not campaign_ids:
        return {}
    return dict(_published_members().filter(campaign__in=campaign_ids).values_list("campaign").annotate(n=Count("*")))


def _published_members():
    """What a campaign's size counts: its published top-level comments."""
    return Comment.objects.published().filter(parent__isnull=True).order_by()


def earlier_member() -> Q:
    """For a subquery of comments: of the outer comment's campaign and submitted before it (ties: by id)."""
    submitted = OuterRef("submitted_at")
    before = Q(submitted_at__lt=submitted) | Q(submitted_at=submitted, pk__lt=OuterRef("pk"))
    return before & Q(campaign=OuterRef("campaign"))


def is_groupable(comment: Comment) -> bool:
    return _groupable(comment.body, reply=comment.parent_id is not None)


def _groupable(body: str, *, reply: bool) -> bool:
    return not reply and len(words(body)) >= MIN_WORDS


def bands_of(statement_id: int, body: str, *, reply: bool) -> list[int] | None:
    """
    The bands a new comment of this text would be grouped by (None when it would not be): computed
    before the submission's transaction (dialogue.services.comment_submit), so that on SQLite,
    which admits one writer at a time, the hashing does not hold the write lock.
    """
    if not settings.CAMPAIGN_GROUPING or not _groupable(body, reply=reply):
        return None
    return band_hashes(statement_id, shingles(body))


def index(comment: Comment, bands: list[int] | None = None) -> list[int]:
    """Store the comment's bands (those given, computed for its text by bands_of()): later submissions can find it."""
    if not is_groupable(comment):
        return []
    bands = bands if bands is not None else band_hashes(comment.statement_id, shingles(comment.body))
    CampaignBand.objects.bulk_create([CampaignBand(band=band, comment=comment) for band in bands])
    return bands


def index_many(comments, *, batch: int = 5000) -> int:
    """Store the bands of many comments (an iterable, read once) in batches; returns how many were indexed."""
    rows, indexed = [], 0
    for comment in comments:
        if not is_groupable(comment):
            continue
        rows += [
            CampaignBand(band=band, comment_id=comment.pk)
            for band in band_hashes(comment.statement_id, shingles(comment.body))
        ]
        indexed += 1
        if len(rows) >= batch:
            CampaignBand.objects.bulk_create(rows)
            rows = []
    CampaignBand.objects.bulk_create(rows)
    return indexed


def group(comment: Comment, bands: list[int] | None = None) -> int | None:
    """
    Index a new submission (with `bands` when bands_of() computed them) and join it to the campaign
    of the most similar earlier comment from another author, forming the campaign when that comment
    had none; returns the campaign's id.
    Called inside the submission's transaction (dialogue.services.comment_submit), which it
    serialises per statement by locking the statement's row: two copies submitted at the same
    moment see each other.
    """
    if not settings.CAMPAIGN_GROUPING or not is_groupable(comment):
        return None
    if connections[router.db_for_write(Statement)].features.has_select_for_update:
        # (SQLite has no row locks, and needs none: its transaction already holds the one write lock.)
        list(Statement.objects.select_for_update().filter(pk=comment.statement_id).values_list("pk", flat=True))
    bands = index(comment, bands)
    best = most_similar(comment, bands)
    if best is None:
        return None
    if best.campaign_id is None:
        best.campaign_id = Campaign.objects.create(statement_id=comment.statement_id, representative=best).pk
        Comment.objects.filter(pk=best.pk).update(campaign=best.campaign_id)
    comment.campaign_id = best.campaign_id
    Comment.objects.filter(pk=comment.pk).update(campaign=best.campaign_id)
    return comment.campaign_id


def _candidates(*, comment, statement, author, **bands):
    """The earlier top-level comments on the statement sharing the most bands with this one, that it may join."""
    shared = (
        CampaignBand.objects.filter(band__in=[bands[name] for name in BAND_NAMES])
        .exclude(comment_id=comment)
        .values("comment")
        .annotate(n=Count("*"))
        .order_by("-n", "comment")
        .values_list("comment", flat=True)[:MAX_CANDIDATES]
    )
    # Neither the author's own comments nor a campaign they already belong to: one comment per author.
    their_campaigns = Comment.objects.filter(author_id=author, campaign__isnull=False).values("campaign")
    return (
        Comment.objects.filter(pk__in=shared, statement_id=statement, parent__isnull=True)
        .exclude(status=Comment.Status.WITHDRAWN)
        .exclude(author_id=author)
        .filter(Q(campaign__isnull=True) | ~Q(campaign__in=their_campaigns))
        .only("pk", "body", "campaign_id", "submitted_at")
        .order_by("submitted_at", "pk")
    )


BAND_NAMES = [f"band{number}" for number in range(BANDS)]
# Asked by every submission: compiled once per process (building it cost more than running it).
CANDIDATES = PrecompiledQuery(Comment, _candidates, "comment", "statement", "author", *BAND_NAMES)


def most_similar(comment: Comment, bands: list[int]) -> Comment | None:
    """The earlier comment most similar to this one, at least CAMPAIGN_SIMILARITY, that it may join (one query)."""
    candidates = CANDIDATES.objects(
        comment=comment.pk,
        statement=comment.statement_id,
        author=comment.author_id,
        **dict(zip(BAND_NAMES, bands, strict=True)),
    )
    mine = shingles(comment.body)
    best, best_score = None, settings.CAMPAIGN_SIMILARITY
    for candidate in candidates:
        score = similarity(mine, shingles(candidate.body))
        if score >= best_score and (best is None or score > best_score):
            best, best_score = candidate, score
    return best


def regroup_after_edit(comment: Comment) -> None:
    """
    The author edited a pending comment: its bands follow the new text, and a member whose text no
    longer resembles the campaign's representative leaves the campaign (and may join another).
    """
    CampaignBand.objects.filter(comment=comment).delete()  # they summarise a text that is gone
    if not settings.CAMPAIGN_GROUPING:
        return
    if comment.campaign_id is not None:
        campaign = Campaign.objects.select_related("representative").get(pk=comment.campaign_id)
        if campaign.representative_id == comment.pk:
            index(comment)
            return
        if similarity(shingles(comment.body), shingles(campaign.representative.body)) >= settings.CAMPAIGN_SIMILARITY:
            index(comment)
            return
        comment.campaign_id = None
        Comment.objects.filter(pk=comment.pk).update(campaign=None)
    group(comment)


# Words of unchanged text shown on each side of a change.
DIFF_CONTEXT = 4


def word_changes(representative: str, member: str) -> list[dict]:
    """
    What a member changed against the representative, word by word: each change with a few
    unchanged words around it ({"before", "removed", "added", "after"}); empty when the texts'
    words are the same.
    """
    old, new = representative.split(), member.split()
    changes = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if tag == "equal":
            continue
        changes.append(
            {
                "before": " ".join(old[max(0, old_start - DIFF_CONTEXT) : old_start]),
                "removed": " ".join(old[old_start:old_end]),
                "added": " ".join(new[new_start:new_end]),
                "after": " ".join(old[old_end : old_end + DIFF_CONTEXT]),
            }
        )
    return changes
