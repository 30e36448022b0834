"""
The public API (/api/v1/, publicapi): only what the public pages show, cursor pagination that holds
while comments are approved, conditional requests, limits, keys, CORS and problem details.
"""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from dialogue import services
from dialogue.models import RejectionReason
from priorities import services as record_services
from priorities.models import Statement
from publicapi.models import ApiKey, hash_secret

from .factories import make_comment, make_publisher, make_statement, make_user

pytestmark = pytest.mark.django_db

COMMENTS = "/api/v1/comments/"


def _tracking_numbers(response) -> list[str]:
    return [item["tracking_number"] for item in response.json()["items"]]


def _all_pages(client, url, between_pages=None) -> list[str]:
    seen, page = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        seen += _tracking_numbers(response)
        url = response.json()["next"]
        page += 1
        if between_pages and url:
            between_pages(page)
    return seen


def test_cursor_pagination_gives_every_comment_once_while_comments_are_approved_between_pages(
    client, moderator, generous_rate_limit
):
    statement = make_statement()
    author = make_user()
    published = [make_comment(statement, author=author, approve_by=moderator) for _ in range(12)]
    # Submitted before some of the published ones, approved only while the reader pages through.
    waiting = [make_comment(statement, author=author) for _ in range(5)]

    def approve_one(page):
        if waiting:
            comment = waiting.pop(0)
            services.comment_approve(comment=comment, seen=comment.fingerprint, moderator=moderator)
            published.append(comment)

    seen = _all_pages(client, f"{COMMENTS}?statement={statement.slug}&limit=3", between_pages=approve_one)

    assert waiting == []  # all five were approved between pages
    assert sorted(seen) == sorted(comment.tracking_number for comment in published)
    assert len(seen) == len(set(seen)) == 17


def test_a_cursor_this_api_did_not_give_is_a_400_problem(client):
    response = client.get(f"{COMMENTS}?cursor=bm90LWEtY3Vyc29y")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 400


def _every_answer(client, statement, comment) -> list:
    """Every endpoint, and every filter of the comments list, as anyone may ask them."""
    urls = [
        "/api/v1/priorities/",
        "/api/v1/priorities/competitiveness/",
        "/api/v1/statements/",
        f"/api/v1/statements/{statement.slug}/",
        "/api/v1/participation/",
        f"/api/v1/participation/?statement={statement.slug}",
        COMMENTS,
        f"{COMMENTS}?statement={statement.slug}",
        f"{COMMENTS}?language=en",
        f"{COMMENTS}?country=CA",
        f"{COMMENTS}?sector=business",
        f"{COMMENTS}?organisation=Acme%20Freight",
        f"{COMMENTS}?has_official_response=true",
        f"{COMMENTS}?has_official_response=false",
        f"{COMMENTS}?since=2000-01-01T00:00:00Z&until=2100-01-01T00:00:00Z",
        f"{COMMENTS}?priority=competitiveness",
        f"{COMMENTS}?limit=1000",
        f"/api/v1/comments/{comment.tracking_number}/",
    ]
    return [client.get(url) for url in urls]


def test_nothing_pending_rejected_hidden_withdrawn_unpublished_or_personal_is_reachable(
    client, moderator, generous_rate_limit
):
    statement = make_statement()
    author = make_user(email="private.person@example.org", country="CA", sector="business", organisation="Acme Freight")
    shown = make_comment(statement, author=author, approve_by=moderator)
    services.response_post(comment=shown, moderator=moderator, government="CA", body="Thank you.", language="en")
    pending = make_comment(statement, author=author)
    rejected = make_comment(statement, author=author)
    services.comment_reject(
        comment=rejected, moderator=moderator, seen=rejected.fingerprint, reason=RejectionReason.SPAM
    )
    hidden = make_comment(statement, author=author, approve_by=moderator)
    services.comment_hide(comment=hidden, moderator=moderator, seen=hidden.fingerprint, reason=RejectionReason.ABUSIVE)
    withdrawn = make_comment(statement, author=author)
    services.comment_withdraw(comment=withdrawn, author=author)
    # An approved comment on a statement the public cannot read: a draft, and one withdrawn.
    draft = make_statement()
    on_draft = make_comment(draft, author=author, approve_by=moderator)
    Statement.objects.filter(pk=draft.pk).update(status=Statement.Status.DRAFT)
    gone = make_statement()
    on_gone = make_comment(gone, author=author, approve_by=moderator)
    record_services.statement_withdraw(statement=gone, by=make_publisher(), reason={"en": "Replaced."})

    answers = _every_answer(client, statement, shown)
    assert all(answer.status_code == 200 for answer in answers), [a.status_code for a in answers]
    text = "".join(answer.content.decode() for answer in answers)
    assert shown.tracking_number in text
    for comment in (pending, rejected, hidden, withdrawn, on_draft, on_gone):
        assert comment.tracking_number not in text
        assert comment.body not in text
        assert client.get(f"/api/v1/comments/{comment.tracking_number}/").status_code == 404
    for personal in ("private.person@example.org", '"author_id"', '"user', '"email'):
        assert personal not in text
    assert draft.slug not in text and gone.slug not in text
    assert client.get(f"/api/v1/statements/{draft.slug}/").status_code == 404
    assert client.get(f"{COMMENTS}?statement={draft.slug}").json()["items"] == []


def test_filters_select_what_they_say(client, moderator, generous_rate_limit):
    statement = make_statement()
    other = make_statement()
    canadian = make_user(country="CA", sector="business", organisation="Acme Freight")
    mexican = make_user(country="MX", sector="academia")
    directive = statement.directives.order_by("order").first()
    on_directive = make_comment(statement, author=canadian, approve_by=moderator, directive=directive)
    in_french = make_comment(statement, author=mexican, approve_by=moderator, language="fr")
    elsewhere = make_comment(other, author=mexican, approve_by=moderator)
    services.response_post(comment=in_french, moderator=moderator, government="MX", body="Gracias.", language="es")

    def found(query):
        return set(_tracking_numbers(client.get(f"{COMMENTS}?{query}")))

    assert found(f"statement={statement.slug}") == {on_directive.tracking_number, in_french.tracking_number}
    assert found(f"directive={directive.pk}") == {on_directive.tracking_number}
    assert found(f"priority={directive.priority.slug}") == {on_directive.tracking_number}
    assert found("language=fr") == {in_french.tracking_number}
    assert found("country=CA") == {on_directive.tracking_number}
    assert found("sector=academia") == {in_french.tracking_number, elsewhere.tracking_number}
    assert found("organisation=acme%20freight") == {on_directive.tracking_number}
    assert found("has_official_response=true") == {in_french.tracking_number}
    assert elsewhere.tracking_number in found("has_official_response=false")
    tomorrow = (timezone.now() + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert found(f"since={tomorrow}") == set()
    assert len(found(f"until={tomorrow}")) == 3
    [answered] = client.get(f"{COMMENTS}?has_official_response=true").json()["items"]
    assert answered["responses"][0]["government"] == "MX"
    assert answered["date"].endswith("Z")


def test_texts_come_in_the_language_asked_for(client):
    assert client.get("/api/v1/priorities/competitiveness/?lang=fr").json()["title"] == "Compétitivité"
    spanish = client.get("/api/v1/priorities/competitiveness/", HTTP_ACCEPT_LANGUAGE="es")
    assert spanish.json()["title"] == "Competitividad"
    assert spanish.json()["url"].endswith("/es/priorities/competitiveness/")


def test_if_none_match_and_if_modified_since_give_304_until_something_changes(client, moderator):
    statement = make_statement()
    make_comment(statement, approve_by=moderator)
    url = f"{COMMENTS}?statement={statement.slug}"
    first = client.get(url)
    etag, modified = first["ETag"], first["Last-Modified"]

    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["Access-Control-Allow-Origin"] == "*"
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304

    make_comment(statement, approve_by=moderator)  # a new comment is published: a new answer
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert len(changed.json()["items"]) == 2


def test_anonymous_lists_are_served_from_the_page_cache_until_a_comment_is_approved(
    client, moderator, django_assert_num_queries
):
    statement = make_statement()
    make_comment(statement, approve_by=moderator)
    url = f"{COMMENTS}?statement={statement.slug}"
    client.get(url)
    with django_assert_num_queries(0):
        cached = client.get(url)
    assert len(cached.json()["items"]) == 1
    make_comment(statement, approve_by=moderator)
    assert len(client.get(url).json()["items"]) == 2


def test_limits_answer_429_with_the_headers_and_a_key_gets_more(client, settings):
    settings.API_RATE_LIMIT_ANONYMOUS = (3, 3600)
    settings.API_RATE_LIMIT_KEY = (5, 3600)
    answers = [client.get("/api/v1/priorities/") for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert [answer["RateLimit-Remaining"] for answer in answers] == ["2", "1", "0", "0"]
    refused = answers[-1]
    assert refused["RateLimit-Limit"] == "3"
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert refused["Retry-After"] == refused["RateLimit-Reset"]
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["status"] == 429

    _key, token = ApiKey.generate(owner=make_user(), name="research")
    keyed = client.get("/api/v1/priorities/", HTTP_X_API_KEY=token)
    assert keyed.status_code == 200
    assert keyed["RateLimit-Limit"] == "5"


def test_a_key_works_as_header_or_bearer_and_a_revoked_or_wrong_key_is_refused(client):
    owner = make_user()
    key, token = ApiKey.generate(owner=owner, name="newsroom")
    assert key.secret_hash == hash_secret(token.split("_", 2)[2])
    assert token not in str(ApiKey.objects.values_list())  # stored hashed only
    assert client.get("/api/v1/statements/", HTTP_X_API_KEY=token).status_code == 200
    assert client.get("/api/v1/statements/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    key.refresh_from_db()
    assert key.request_count == 2 and key.last_used_at is not None

    wrong = client.get("/api/v1/statements/", HTTP_X_API_KEY=token[:-2] + "xx")
    assert wrong.status_code == 401
    assert wrong["Content-Type"] == "application/problem+json"
    assert wrong["WWW-Authenticate"].startswith("Bearer")

    client.force_login(owner)
    client.post(f"/en/accounts/api-keys/{key.pk}/revoke/")
    client.logout()
    revoked = client.get("/api/v1/statements/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert revoked.status_code == 401
    assert revoked.json()["title"] == "Unauthorized"


def test_keys_are_created_shown_once_listed_with_their_use_and_revoked_on_the_account_page(client, security_events):
    owner = make_user()
    client.force_login(owner)
    page = client.get("/en/accounts/api-keys/")
    assert page.status_code == 200
    assert b"You have no API key." in page.content

    created = client.post("/en/accounts/api-keys/", {"name": "Thesis scraper"})
    assert created.status_code == 200
    assert created["Cache-Control"] == "no-store"
    key = ApiKey.objects.get(owner=owner)
    token = created.content.decode().split('<code class="api-token">')[1].split("</code>")[0]
    assert token.startswith(f"spp_{key.prefix}_")
    assert [event["key_id"] for event in security_events.named("api_key.created")] == [key.pk]

    client.get("/api/v1/priorities/", HTTP_X_API_KEY=token)
    listed = client.get("/en/accounts/api-keys/").content.decode()
    assert token not in listed  # shown once
    assert "Thesis scraper" in listed and f"spp_{key.prefix}_" in listed
    assert "<td>1</td>" in listed  # its requests

    # Someone else cannot revoke it.
    intruder = make_user()
    client.force_login(intruder)
    assert client.post(f"/en/accounts/api-keys/{key.pk}/revoke/").status_code == 404
    client.force_login(owner)
    assert client.post(f"/en/accounts/api-keys/{key.pk}/revoke/").status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert [event["key_id"] for event in security_events.named("api_key.revoked")] == [key.pk]
    assert client.get("/api/v1/priorities/", HTTP_X_API_KEY=token).status_code == 401


def test_the_keys_page_needs_an_account_and_a_csrf_token(client):
    assert client.get("/en/accounts/api-keys/").status_code == 302
    owner = make_user()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)
    assert strict.post("/en/accounts/api-keys/", {"name": "x"}).status_code == 403
    assert not ApiKey.objects.exists()


def test_cors_is_open_for_reading(client):
    answer = client.get("/api/v1/statements/", HTTP_ORIGIN="https://newsroom.example")
    assert answer["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(
        "/api/v1/comments/",
        HTTP_ORIGIN="https://newsroom.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="x-api-key",
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert "X-API-Key" in preflight["Access-Control-Allow-Headers"]
    assert "GET" in preflight["Access-Control-Allow-Methods"]


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("get", "/api/v1/no-such-thing/", 404),
        ("get", "/api/v1/statements/no-such-statement/", 404),
        ("get", "/api/v1/comments/SPP-0000-0000/", 404),
        ("get", "/api/v1/comments/?limit=0", 400),
        ("get", "/api/v1/comments/?country=XX", 400),
        ("get", "/api/v1/comments/?since=yesterday", 400),
        ("get", "/api/v1/comments/?statement=%00", 400),
        ("post", "/api/v1/comments/", 405),
    ],
)
def test_errors_are_problem_details(client, method, url, status):
    answer = getattr(client, method)(url)
    assert answer.status_code == status
    assert answer["Content-Type"] == "application/problem+json"
    body = answer.json()
    assert body["status"] == status and body["title"] and body["instance"].startswith("/api/v1/")


def test_the_openapi_document_is_3_1_and_the_reference_page_shows_every_operation(client):
    document = client.get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert "/api/v1/comments/" in document["paths"]
    page = client.get("/fr/api/")
    assert page.status_code == 200
    html = page.content.decode()
    for path in document["paths"]:
        assert path in html
    assert "/fr/api/" in client.get("/fr/open-data/").content.decode()


def test_the_cache_holds_no_rate_limit_of_another_caller(client):
    """The cached copy's RateLimit headers are the caller's own, not those of whoever filled the cache."""
    client.get("/api/v1/statements/", REMOTE_ADDR="203.0.113.1")
    cache_hit = client.get("/api/v1/statements/", REMOTE_ADDR="203.0.113.2")
    assert cache_hit["RateLimit-Remaining"] == str(int(cache_hit["RateLimit-Limit"]) - 1)


def test_a_cached_answer_sent_compressed_says_its_own_length(client):
    """The cache keeps the answer's headers and sends it gzip-compressed: Content-Length must be the sent body's."""
    client.get("/api/v1/priorities/")
    compressed = client.get("/api/v1/priorities/", HTTP_ACCEPT_ENCODING="gzip")
    assert compressed["Content-Encoding"] == "gzip"
    assert int(compressed["Content-Length"]) == len(compressed.content)


def test_head_is_answered_as_get_without_the_body(client):
    get = client.get("/api/v1/priorities/")
    head = client.head("/api/v1/priorities/")
    assert head.status_code == 200
    assert head.content == b""
    assert head["Content-Length"] == get["Content-Length"] and head["ETag"] == get["ETag"]


def test_another_authorization_scheme_is_not_a_key(client):
    """A Basic authentication in front of a staging site is passed on: the API answers as to anyone."""
    answer = client.get("/api/v1/priorities/", HTTP_AUTHORIZATION="Basic c3RhZ2luZzpzZWNyZXQ=")
    assert answer.status_code == 200
    assert client.get("/api/v1/priorities/", HTTP_AUTHORIZATION="Bearer ").status_code == 401
