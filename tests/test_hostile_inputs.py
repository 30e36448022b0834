"""
Every user-input form meets the hostile-input corpus (tests/hostile_inputs.py): each input is either
refused clearly (a 4xx page with a message, or the form again with an error) or rendered inert (no
element or attribute of the page comes from it, no script URL, no secret), and never answered with a 500.

One test per form, looping over the corpus, so a failure lists every input that broke that form.
"""

import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from dialogue import services
from dialogue.models import Comment

from .factories import PASSWORD, make_comment, make_moderator, make_statement, make_user, reauthenticate
from .hostile_inputs import CORPUS, HOSTILE_QUERY, PATH_SEGMENTS, injected_markup

pytestmark = pytest.mark.django_db

VALID_BODY = "A considered, entirely ordinary comment about the borders."
MESSAGE_MARKERS = ("invalid-feedback", "alert-danger", "alert-warning", "errorlist", "<h1")


def problems(client: Client, response, value: str, *, follow: bool = True) -> list[str]:
    """Why `response` (to a request carrying `value`) is neither a clear refusal nor inert output."""
    status = response.status_code
    if status >= 500:
        return [f"answered {status}"]
    if status in (301, 302, 303):
        location = response["Location"]
        if not url_has_allowed_host_and_scheme(location, allowed_hosts={"testserver"}):
            return [f"redirects off the site to {location!r}"]
        if not follow:
            return []
        cache.clear()  # rate-limit counters: each input is judged on its own
        return problems(client, client.get(location), value, follow=False)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    text = content.decode(errors="replace")
    found = []
    if settings.SECRET_KEY in text:
        found.append("the page shows the secret key")
    if response.get("Content-Type", "").startswith("text/html"):
        if 400 <= status < 500 and not any(marker in text for marker in MESSAGE_MARKERS):
            found.append(f"refused with {status} but says nothing")
        found += injected_markup(text, value)
    return found


def run_corpus(send) -> None:
    """Call send(client, value) -> [(client, response)] for each hostile value; fail with every problem found."""
    failures = []
    for name, value in CORPUS:
        cache.clear()
        for client, response in send(value):
            failures += [f"{name}: {problem}" for problem in problems(client, response, value)]
    assert not failures, f"{len(failures)} problem(s):\n" + "\n".join(failures)


@pytest.fixture
def world(settings, generous_rate_limit):
    """A statement open for comments, a signed-in stakeholder, a signed-in moderator and comments to act on."""
    # Hundreds of sign-ups, sign-ins and password checks: a fast hash keeps the corpus quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    statement = make_statement()
    moderator = make_moderator()
    stakeholder = make_user(display_name="Hostile tester")
    published = make_comment(statement, body="A published comment to reply to and report.", approve_by=moderator)
    pending = make_comment(statement, author=stakeholder, body="My pending comment, which I may edit.")
    as_stakeholder, as_moderator = Client(), Client()
    as_stakeholder.force_login(stakeholder)
    as_moderator.force_login(moderator)
    # Bulk decisions ask for the password again; for the whole corpus, however long it takes.
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 3600
    reauthenticate(as_moderator)
    return {
        "statement": statement,
        "moderator": moderator,
        "stakeholder": stakeholder,
        "published": published,
        "pending": pending,
        "anonymous": Client(),
        "as_stakeholder": as_stakeholder,
        "as_moderator": as_moderator,
    }


def test_sign_up(world):
    anonymous = world["anonymous"]
    numbers = iter(range(10_000))

    def send(value):
        profile = {"country": "CA", "sector": "academia", "preferred_language": "en", "accept_terms": "on"}
        password = "Trilateral-dialogue-2008"
        hostile_profile = {
            **profile,
            "email": f"hostile{next(numbers)}@example.org",
            "password1": password,
            "password2": password,
            "display_name": value,
            "organisation": value,
        }
        hostile_account = {**profile, "email": value, "password1": value, "password2": value, "display_name": "Ann"}
        for data in (hostile_profile, hostile_account):
            yield anonymous, anonymous.post("/en/accounts/signup/", data)
            anonymous.logout()

    run_corpus(send)


def test_sign_in(world):
    anonymous = world["anonymous"]
    email = world["stakeholder"].email

    def send(value):
        yield anonymous, anonymous.post("/en/accounts/login/", {"login": value, "password": value})
        cache.clear()
        # Valid credentials with a hostile destination: the portal must not send anyone off the site.
        yield anonymous, anonymous.post("/en/accounts/login/", {"login": email, "password": PASSWORD, "next": value})
        anonymous.logout()

    run_corpus(send)


def test_profile(world):
    client = world["as_stakeholder"]

    def send(value):
        base = {"display_name": "Hostile tester", "country": "CA", "sector": "academia", "preferred_language": "en"}
        yield client, client.post("/en/accounts/profile/", {**base, "display_name": value, "organisation": value})
        yield (
            client,
            client.post(
                "/en/accounts/profile/", {**base, "country": value, "sector": value, "preferred_language": value}
            ),
        )

    run_corpus(send)


def test_comment_then_its_pages_for_moderators_and_the_public(world):
    """Accepted hostile comments are inert on the receipt, in the moderation queue and, once approved, in public."""
    client, statement = world["as_stakeholder"], world["statement"]
    url = reverse("dialogue:comment-create", args=[statement.slug])

    def send(value):
        yield client, client.post(url, {"body": value, "about": "", "language": "en"})
        yield client, client.post(url, {"body": VALID_BODY, "about": value, "language": value})

    run_corpus(send)

    accepted = Comment.objects.pending().filter(author=world["stakeholder"]).exclude(body=VALID_BODY)
    assert accepted.count() > 10, "most hostile texts are acceptable comments and must be shown inertly"
    moderator = world["moderator"]
    pages = [(world["as_moderator"], reverse("dialogue:moderation-queue") + "?page=1")]
    for comment in accepted:
        pages.append((world["as_moderator"], reverse("dialogue:moderation-comment", args=[comment.tracking_number])))
    for comment in accepted:
        services.comment_approve(comment=comment, seen=comment.fingerprint, moderator=moderator)
    pages.append((world["anonymous"], statement.get_absolute_url()))
    failures = []
    for client, path in pages:
        response = client.get(path)
        for name, value in CORPUS:
            failures += [f"{path} {name}: {problem}" for problem in problems(client, response, value)]
    assert not failures, "\n".join(failures)


def test_reply(world):
    client = world["as_stakeholder"]
    url = reverse("dialogue:comment-reply", args=[world["published"].tracking_number])
    run_corpus(lambda value: [(client, client.post(url, {"body": value, "language": value}))])


def test_edit(world):
    client = world["as_stakeholder"]
    url = reverse("dialogue:comment-edit", args=[world["pending"].tracking_number])
    run_corpus(lambda value: [(client, client.post(url, {"body": value}))])


def test_report(world):
    """The first report is accepted (its note shown to moderators); later ones are refused as repeats."""
    client = world["as_stakeholder"]
    published = world["published"]
    url = reverse("dialogue:comment-flag", args=[published.tracking_number])

    def send(value):
        yield client, client.post(url, {"reason": value, "note": value})
        yield client, client.post(url, {"reason": "spam", "note": value})

    run_corpus(send)
    moderator_page = world["as_moderator"].get(reverse("dialogue:moderation-comment", args=[published.tracking_number]))
    for _name, value in CORPUS:
        assert not problems(world["as_moderator"], moderator_page, value)


def test_verify(world):
    anonymous = world["anonymous"]
    url = reverse("dialogue:verify")
    run_corpus(lambda value: [(anonymous, anonymous.get(url, {"tracking_number": value, "text": value}))])


def test_moderation_reject_note_and_destination(world):
    client, statement = world["as_moderator"], world["statement"]

    def send(value):
        comment = make_comment(statement, body="A comment that a moderator will reject.")
        url = reverse("dialogue:moderation-reject", args=[comment.tracking_number])
        yield client, client.post(url, {"reason": value, "note": value})
        yield client, client.post(url, {"reason": "off_topic", "note": value, "next": value})
        yield client, client.get(reverse("dialogue:moderation-comment", args=[comment.tracking_number]))

    run_corpus(send)


def test_moderation_bulk_decision(world):
    client, pending = world["as_moderator"], world["pending"]
    url = reverse("dialogue:moderation-bulk")

    def send(value):
        yield client, client.post(url, {"bulk_action": value, "comments": value, "note": value, "next": value})
        # A refusal (rejecting without a reason) goes back to `next`, which must stay on the site.
        yield client, client.post(url, {"bulk_action": "reject", "comments": [pending.pk], "next": value})

    run_corpus(send)


def test_official_response(world):
    client, statement, moderator = world["as_moderator"], world["statement"], world["moderator"]

    def send(value):
        comment = make_comment(statement, body="A published comment to answer.", approve_by=moderator)
        url = reverse("dialogue:moderation-respond", args=[comment.tracking_number])
        yield client, client.post(url, {"government": "CA", "body": value, "language": "en"})
        yield client, client.post(url, {"government": value, "body": VALID_BODY, "language": value})

    run_corpus(send)
    public = world["anonymous"].get(world["statement"].get_absolute_url())
    for _name, value in CORPUS:
        assert not problems(world["anonymous"], public, value)


def test_search(world):
    url = reverse("search")  # a search page that moved fails here: the corpus must never be skipped
    anonymous = world["anonymous"]
    fields = ["q", "priority", "year", "language", "country", "sector", "page"]
    run_corpus(lambda value: [(anonymous, anonymous.get(url, dict.fromkeys(fields, value)))])


def test_statement_archive_filters(world):
    anonymous = world["anonymous"]
    url = reverse("priorities:statement-list")
    run_corpus(lambda value: [(anonymous, anonymous.get(url, {"priority": value, "year": value, "page": value}))])


def test_moderation_queue_filters(world):
    client = world["as_moderator"]
    url = reverse("dialogue:moderation-queue")
    fields = ["statement", "priority", "language", "country", "status", "page"]
    run_corpus(lambda value: [(client, client.get(url, dict.fromkeys(fields, value)))])


def test_moderation_log_filters(world):
    client = world["as_moderator"]
    fields = ["moderator", "action", "since", "until", "page"]

    def send(value):
        yield client, client.get(reverse("dialogue:moderation-log"), dict.fromkeys(fields, value))
        yield client, client.get(reverse("dialogue:moderation-log-csv"), dict.fromkeys(fields, value))

    run_corpus(send)


def test_delete_account(world):
    client = world["as_stakeholder"]
    run_corpus(lambda value: [(client, client.post(reverse("dialogue:account-delete"), {"password": value}))])
    assert world["stakeholder"].__class__.objects.filter(pk=world["stakeholder"].pk).exists()


def test_a_request_body_over_the_upload_limit_is_refused_with_400(world):
    """2.5 MB is Django's limit on a form body: beyond it the portal answers with its 400 page, not a 500."""
    client, statement = world["as_stakeholder"], world["statement"]
    body = "A" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.post(reverse("dialogue:comment-create", args=[statement.slug]), {"body": body})
    assert response.status_code == 400
    assert "Bad request" in response.text


def routes(resolver=None, prefix=""):
    """Every URL pattern of the portal as a path template (the language prefix as English)."""
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            yield from routes(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def fill(route: str, segment: str) -> str:
    """The route with `segment` for each of its parameters (or, without any, appended to it)."""
    path = "/" + route.replace("^", "").replace("$", "").replace("\\", "")
    if "<" not in path:
        return path.rstrip("/") + "/" + segment + ("/" if path.endswith("/") else "")
    path = re.sub(r"\(\?P<\w+>(?:[^()]|\([^()]*\))*\)", segment, path)  # a regular expression's named group
    return re.sub(r"<(?:\w+:)?\w+>", segment, path)  # a path converter


def test_hostile_paths_with_nul_bytes_and_invalid_utf8_answer_404_never_500(world):
    """
    Every URL pattern with its parameters replaced by a NUL byte (or another control character) and,
    again, by bytes that are not UTF-8 (the kinds taking turns across patterns): never a 500, by GET or
    POST, signed in or not (PostgreSQL refuses NUL in text: before, a NUL in a tracking number was a
    500 on ten endpoints). A NUL or control character is no page of the portal: 404.
    """
    anonymous, moderator = world["anonymous"], world["as_moderator"]  # the moderator reaches every signed-in view
    anonymous.raise_request_exception = moderator.raise_request_exception = False
    nul = [(name, segment) for name, segment in PATH_SEGMENTS if name.startswith(("nul", "control"))]
    not_utf8 = [(name, segment) for name, segment in PATH_SEGMENTS if (name, segment) not in nul]
    paths = {}
    for number, route in enumerate(routes()):
        for name, segment in (nul[number % len(nul)], not_utf8[number % len(not_utf8)]):
            paths[fill(route, segment)] = name
    assert len(paths) >= 60 and len({fill(route, "x") for route in routes()}) > 100, len(paths)
    failures = []
    for path, name in paths.items():
        for who, method in (("anonymous", anonymous.get), ("moderator", moderator.get), ("moderator", moderator.post)):
            status = method(path).status_code
            if status >= 500 or (name in dict(nul) and status != 404):
                failures.append(f"{method.__name__.upper()} {path} ({name}) as {who}: {status}")
    assert not failures, f"{len(failures)} of {len(paths) * 3} requests:\n" + "\n".join(failures)


def test_a_nul_byte_in_any_query_parameter_is_a_bad_request_in_the_portal_s_layout(world):
    client = world["as_moderator"]
    client.raise_request_exception = False
    failures = []
    for route in routes():
        path = fill(route, "x") if "<" in route else fill(route, "").rstrip("/") + ("/" if route.endswith("/") else "")
        response = client.get(f"{path}?{HOSTILE_QUERY}")
        if response.status_code != 400:
            failures.append(f"{path}: {response.status_code}")
    assert not failures, "\n".join(failures)
    response = client.get(f"/fr/search/?{HOSTILE_QUERY}")
    assert '<html lang="fr"' in response.text and "<h1" in response.text
