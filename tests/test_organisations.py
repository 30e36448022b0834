"""
Organisations (issue 14 item 1) and the conflict of interest they bring (issue 15 item 2): a stakeholder
registers one (its registry identifier checked for its country's format) and administers it; members join
by an emailed invitation; a moderator verifies or declines it with a note; members comment on behalf of a
verified one, shown "on behalf of <organisation> — verified"; a moderator never decides on their
organisation's comments nor its members'.
"""

import datetime
import json

import pytest
from django.core import mail

from dialogue import organisations, services
from dialogue.models import Comment, Invitation, Membership, Organisation
from dialogue.services import ConflictOfInterest, NotAllowed
from outbox.models import Message as OutboxMessage

from .factories import make_comment, make_moderator, make_statement, make_user
from .test_email_voice import assert_portal_voice

pytestmark = pytest.mark.django_db


def register(admin=None, *, name="Cooperativa del Valle", country="MX", sector="civil_society", **fields):
    admin = admin or make_user(display_name="Rosa Admin")
    return organisations.organisation_register(user=admin, name=name, country=country, sector=sector, **fields)


def verified_organisation(admin=None, **fields) -> Organisation:
    organisation = register(admin, **fields)
    return organisations.organisation_decide(
        organisation=organisation, moderator=make_moderator(), verify=True, note="Website and RFC checked."
    )


def join(organisation: Organisation, user) -> Membership:
    """`user` joins through the real invitation: sent by an administrator, accepted by them."""
    admin = organisation.memberships.filter(is_admin=True).first().user
    invitation = organisations.invitation_send(organisation=organisation, inviter=admin, email=user.email)
    return organisations.invitation_accept(invitation=invitation, user=user)


@pytest.fixture
def statement():
    return make_statement(title_en="Statement on border cooperation")


# --- Registering, and the registry identifiers --------------------------------------------------


REGISTRY_CASES = [
    ("CA", "775530-12345-7", True),
    ("CA", "775530-12345", True),
    ("CA", "7755301234", False),
    ("CA", "ABC-12345", False),
    ("MX", "ABC680524P76", True),  # a company: 3 letters, YYMMDD, homoclave
    ("MX", "GODE561231GR8", True),  # a person: 4 letters
    ("MX", "abc 680524 p76", True),  # typed with spaces, in lower case: normalised
    ("MX", "ABC681324P76", False),  # month 13
    ("MX", "AB680524P76", False),
    ("MX", "ABC680524P7", False),
    ("US", "401103153", True),
    ("US", "31479", True),
    ("US", "401-103153", False),
    ("US", "123", False),
    ("OT", "12345", False),  # no registry outside the three countries
]


@pytest.mark.parametrize(("country", "registry_id", "valid"), REGISTRY_CASES)
def test_registry_identifiers_are_checked_for_their_countrys_format(client, country, registry_id, valid):
    """The form says what the format is and keeps what was typed; the service refuses the same."""
    admin = make_user()
    client.force_login(admin)
    data = {
        "name": "Exportadores Unidos",
        "country": country,
        "sector": "business",
        "website": "https://exportadores.example.mx",
        "registry_id": registry_id,
    }
    response = client.post("/en/dialogue/organisations/new/", data)
    if valid:
        assert response.status_code == 302
        organisation = Organisation.objects.get()
        assert organisation.registry_id == "".join(registry_id.split()).upper()
        assert organisation.status == Organisation.Status.PENDING
    else:
        assert response.status_code == 400
        assert response.context["form"].has_error("registry_id", "registry_format")
        assert "Exportadores Unidos" in response.text and f'value="{registry_id}"' in response.text
        assert not Organisation.objects.exists()
        with pytest.raises(NotAllowed):
            organisations.organisation_register(
                user=admin, name="Exportadores Unidos", country=country, sector="business", registry_id=registry_id
            )


def test_the_registrant_becomes_the_administrator_and_waits_for_verification(client):
    admin = make_user()
    client.force_login(admin)
    response = client.post(
        "/en/dialogue/organisations/new/",
        {"name": "  Canadian   Exporters  ", "country": "CA", "sector": "industry", "website": "exporters.example.ca"},
    )
    organisation = Organisation.objects.get()
    assert response["Location"] == f"/en/dialogue/organisations/{organisation.pk}/"
    assert organisation.name == "Canadian Exporters"
    assert organisation.website == "https://exporters.example.ca"
    assert Membership.objects.get(organisation=organisation).user == admin
    assert Membership.objects.get(organisation=organisation).is_admin
    page = client.get(response["Location"])
    assert "Awaiting verification" in page.text and "Invite a member" in page.text


def test_registering_needs_an_account(client):
    response = client.get("/en/dialogue/organisations/new/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_organisation_is_only_shown_to_its_members(client):
    organisation = register()
    client.force_login(make_user())
    assert client.get(f"/en/dialogue/organisations/{organisation.pk}/").status_code == 404


# --- Invitations ----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "fr", "es"])
def test_an_invitation_is_emailed_in_the_invitees_language_and_accepted_signed_in(client, language):
    organisation = register()
    admin = organisation.memberships.get().user
    invitee = make_user("ana@example.mx", preferred_language=language, display_name="Ana")
    client.force_login(admin)
    response = client.post(f"/en/dialogue/organisations/{organisation.pk}/invite/", {"email": "ana@example.mx"})
    assert response.status_code == 302
    [message] = [message for message in mail.outbox if message.to == ["ana@example.mx"]]
    assert organisation.name in message.subject
    assert_portal_voice(message, language)
    invitation = Invitation.objects.get()
    link = f"/{language}/dialogue/organisations/invitations/{invitation.token}/"
    assert f"http://testserver{link}" in message.body

    client.force_login(invitee)
    page = client.get(link)
    assert page.status_code == 200 and organisation.name in page.text
    assert client.post(link).status_code == 302
    assert Membership.objects.filter(organisation=organisation, user=invitee, is_admin=False).exists()


def test_an_invitation_for_someone_without_an_account_is_in_the_site_language_through_the_outbox(client, settings):
    settings.EMAIL_BACKEND = "outbox.backends.OutboxBackend"
    organisation = register()
    client.force_login(organisation.memberships.get().user)
    client.post(f"/es/dialogue/organisations/{organisation.pk}/invite/", {"email": "nuevo@example.mx"})
    message = OutboxMessage.objects.get()
    assert message.to == ["nuevo@example.mx"]
    assert message.subject.startswith("[Portal del Diálogo de América del Norte]")


def test_only_the_invited_address_can_accept(client):
    organisation = register()
    invitation = organisations.invitation_send(
        organisation=organisation, inviter=organisation.memberships.get().user, email="invited@example.org"
    )
    someone_else = make_user("other@example.org")
    client.force_login(someone_else)
    response = client.post(f"/en/dialogue/organisations/invitations/{invitation.token}/")
    assert response.status_code == 400 and "another email address" in response.text
    assert not Membership.objects.filter(user=someone_else).exists()


def test_only_an_administrator_invites(client):
    organisation = verified_organisation()
    member = make_user()
    join(organisation, member)
    client.force_login(member)
    response = client.post(f"/en/dialogue/organisations/{organisation.pk}/invite/", {"email": "x@example.org"})
    assert response.status_code == 403
    assert organisation.invitations.count() == 1  # the member's own
    with pytest.raises(NotAllowed):
        organisations.invitation_send(organisation=organisation, inviter=member, email="x@example.org")


def test_invitations_are_rate_limited_and_expire(client, settings):
    settings.INVITATION_RATE_LIMIT = (2, 3600)
    organisation = register()
    client.force_login(organisation.memberships.get().user)
    url = f"/en/dialogue/organisations/{organisation.pk}/invite/"
    statuses = [client.post(url, {"email": f"person{number}@example.org"}).status_code for number in range(3)]
    assert statuses == [302, 302, 429]
    assert organisation.invitations.count() == 2

    invitee = make_user("person0@example.org")
    invitation = organisation.invitations.get(email="person0@example.org")
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=invitation.created_at - datetime.timedelta(days=settings.ORGANISATION_INVITATION_DAYS, seconds=1)
    )
    with pytest.raises(NotAllowed, match="expired"):
        organisations.invitation_accept(invitation=invitation, user=invitee)


# --- Verification by moderators -----------------------------------------------------------------


def test_the_verification_page_permission_ladder(client):
    register()
    url = "/en/moderation/organisations/"
    assert "/accounts/login/" in client.get(url)["Location"]
    client.force_login(make_user())
    assert client.get(url).status_code == 403
    client.force_login(make_moderator())
    response = client.get(url)
    assert response.status_code == 200 and "Cooperativa del Valle" in response.text


def test_a_moderator_verifies_with_a_note_that_is_recorded_and_the_administrator_is_emailed(client):
    organisation = register(make_user("rosa@example.mx", preferred_language="es"))
    moderator = make_moderator(display_name="Moderator Chen")
    client.force_login(moderator)
    prefix = f"organisation-{organisation.pk}"
    response = client.post(
        "/en/moderation/organisations/",
        {"organisation": organisation.pk, f"{prefix}-decision": "verify", f"{prefix}-note": "RFC matches the SAT."},
    )
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.status == Organisation.Status.VERIFIED
    assert (organisation.decided_by, organisation.decided_by_name) == (moderator, "Moderator Chen")
    assert organisation.decision_note == "RFC matches the SAT." and organisation.decided_at is not None
    [message] = [message for message in mail.outbox if message.to == ["rosa@example.mx"]]
    assert_portal_voice(message, "es")
    assert "RFC matches the SAT." in message.body
    assert "RFC matches the SAT." in client.get("/en/moderation/organisations/").text


def test_a_decision_needs_a_note_and_comes_from_a_moderator(client):
    organisation = register()
    moderator = make_moderator()
    client.force_login(moderator)
    prefix = f"organisation-{organisation.pk}"
    response = client.post(
        "/en/moderation/organisations/", {"organisation": organisation.pk, f"{prefix}-decision": "verify"}
    )
    assert response.status_code == 400
    organisation.refresh_from_db()
    assert organisation.status == Organisation.Status.PENDING
    with pytest.raises(NotAllowed):
        organisations.organisation_decide(organisation=organisation, moderator=moderator, verify=True, note="  ")
    with pytest.raises(NotAllowed):
        organisations.organisation_decide(organisation=organisation, moderator=make_user(), verify=True, note="ok")
    organisations.organisation_decide(organisation=organisation, moderator=moderator, verify=False, note="No site.")
    organisation.refresh_from_db()
    assert (organisation.status, organisation.decision_note) == (Organisation.Status.DECLINED, "No site.")


def test_a_moderator_does_not_verify_their_own_organisation(client):
    moderator = make_moderator()
    organisation = register(moderator)
    with pytest.raises(NotAllowed):
        organisations.organisation_decide(organisation=organisation, moderator=moderator, verify=True, note="Mine.")
    client.force_login(moderator)
    page = client.get("/en/moderation/organisations/")
    assert "You belong to this organisation" in page.text and f'value="{organisation.pk}"' not in page.text


def test_the_verification_page_query_count_does_not_grow_with_the_organisations(client, django_assert_num_queries):
    moderator = make_moderator()
    client.force_login(moderator)
    client.get("/en/moderation/organisations/")  # warm the per-process caches
    for number in range(2):
        register(name=f"Organisation {number}")
    # the user (with their permissions, MFA and whether they belong to an organisation), the waiting
    # organisations, the navigation's four counts (each registration starts a new cache generation),
    # the latest decisions
    with django_assert_num_queries(7):
        client.get("/en/moderation/organisations/")
    for number in range(10):
        register(name=f"More {number}")
    with django_assert_num_queries(7):
        assert "More 9" in client.get("/en/moderation/organisations/").text


# --- Comments on behalf of an organisation ------------------------------------------------------


TEXT = "Our members cross the border every day and ask for shared inspection hours."


def test_on_behalf_of_an_unverified_organisation_is_refused_with_the_text_kept(client, statement):
    organisation = register()
    author = organisation.memberships.get().user
    client.force_login(author)
    url = f"/en/dialogue/statements/{statement.slug}/comment/"
    response = client.post(url, {"body": TEXT, "language": "en", "on_behalf_of": organisation.pk})
    assert response.status_code == 400
    assert response.context["form"].has_error("on_behalf_of", "unverified")
    assert TEXT in response.text and "is not verified yet" in response.text
    assert not Comment.objects.exists()
    with pytest.raises(NotAllowed, match="not verified"):
        services.comment_submit(author=author, statement=statement, body=TEXT, language="en", on_behalf_of=organisation)


def test_on_behalf_of_an_organisation_one_does_not_belong_to_is_refused_with_the_text_kept(client, statement):
    organisation = verified_organisation()
    outsider = make_user()
    client.force_login(outsider)
    url = f"/en/dialogue/statements/{statement.slug}/comment/"
    response = client.post(url, {"body": TEXT, "language": "en", "on_behalf_of": organisation.pk})
    assert response.status_code == 400
    assert "organisation you belong to" in response.text and TEXT in response.text
    # A member of another organisation is offered theirs only, and refused this one the same way.
    join(verified_organisation(name="Other association"), outsider)
    response = client.post(url, {"body": TEXT, "language": "en", "on_behalf_of": organisation.pk})
    assert response.status_code == 400 and response.context["form"].has_error("on_behalf_of", "invalid_choice")
    assert not Comment.objects.exists()
    with pytest.raises(NotAllowed, match="belong to"):
        services.comment_submit(
            author=outsider, statement=statement, body=TEXT, language="en", on_behalf_of=organisation
        )


def test_on_behalf_of_cannot_also_be_anonymous(client, statement):
    organisation = verified_organisation()
    author = organisation.memberships.get().user
    client.force_login(author)
    response = client.post(
        f"/en/dialogue/statements/{statement.slug}/comment/",
        {"body": TEXT, "language": "en", "on_behalf_of": organisation.pk, "anonymous": "on"},
    )
    assert response.status_code == 400 and TEXT in response.text
    with pytest.raises(NotAllowed):
        services.comment_submit(
            author=author, statement=statement, body=TEXT, language="en", on_behalf_of=organisation, anonymous=True
        )


def test_a_members_comment_shows_the_verified_organisation_everywhere_it_is_public(client, statement, moderator):
    organisation = verified_organisation(name="Asociación de Transportistas")
    member = make_user(display_name="Luis Member", organisation="Something I typed")
    join(organisation, member)
    client.force_login(member)
    page = client.get(f"/en/statements/{statement.slug}/")
    assert "Asociación de Transportistas" in page.text and 'name="on_behalf_of"' in page.text
    response = client.post(
        f"/en/dialogue/statements/{statement.slug}/comment/",
        {"body": TEXT, "language": "en", "on_behalf_of": organisation.pk},
    )
    comment = Comment.objects.get()
    assert response["Location"] == f"/en/dialogue/receipt/{comment.tracking_number}/"
    assert comment.on_behalf_of == organisation
    receipt = client.get(response["Location"])
    assert "on behalf of Asociación de Transportistas" in receipt.text
    services.comment_approve(comment=comment, moderator=moderator, seen=comment.fingerprint)

    client.logout()
    html = client.get(f"/en/statements/{statement.slug}/").text
    assert "Luis Member" in html
    assert 'on behalf of Asociación de Transportistas — <span class="badge verified-badge">verified</span>' in html
    # With the organisation verified, the person's own description is not repeated beside it.
    assert "Something I typed" not in html
    record = json.loads(client.get(f"/en/open-data/statements/{statement.slug}/comments.json").content)["comments"][0]
    assert (record["on_behalf_of"], record["on_behalf_of_verified"]) == ("Asociación de Transportistas", True)
    assert record["author"] == "Luis Member"
    item = client.get(f"/api/v1/comments/{comment.tracking_number}/").json()
    assert (item["on_behalf_of"], item["on_behalf_of_verified"], item["anonymous"]) == (
        "Asociación de Transportistas",
        True,
        False,
    )
    listed = client.get("/api/v1/comments/", {"on_behalf_of": "asociación de transportistas"}).json()["items"]
    assert [item["tracking_number"] for item in listed] == [comment.tracking_number]
    assert client.get("/api/v1/comments/", {"on_behalf_of": "Someone else"}).json()["items"] == []
    figures = client.get("/en/participation/").context["figures"]
    by_organisation = {str(row.label): row.count for row in figures.tables[-1].rows}
    assert by_organisation == {"Asociación de Transportistas": 1}
    found = client.get("/en/search/", {"q": "inspection", "organisation": organisation.pk})
    assert comment in [result.object for result in found.context["page"].object_list]
    other = verified_organisation(name="Another one")
    found = client.get("/en/search/", {"q": "inspection", "organisation": other.pk})
    assert not found.context["page"].object_list


def test_the_search_filter_offers_an_organisation_once_a_moderator_verifies_it(client):
    """The search filters are a shared fragment (issue 17): a verification refreshes it, a registration does not."""
    register(name="Camara de Comercio del Norte")
    assert "Camara de Comercio del Norte" not in client.get("/en/search/", {"q": "trade"}).text
    verified_organisation(name="Trade Alliance of the Lakes")
    html = client.get("/en/search/", {"q": "trade"}).text
    assert ">Trade Alliance of the Lakes</option>" in html
    assert "Camara de Comercio del Norte" not in html


def test_a_self_described_organisation_is_shown_as_such_never_with_the_mark(client, statement, moderator):
    author = make_user(display_name="Pat", organisation="Government of Everywhere Inc")
    make_comment(statement, author=author, body=TEXT, approve_by=moderator)
    html = client.get(f"/en/statements/{statement.slug}/").text
    assert 'Government of Everywhere Inc <span class="self-described">(self-described)</span>' in html
    assert "verified-badge" not in html
    record = json.loads(client.get(f"/en/open-data/statements/{statement.slug}/comments.json").content)["comments"][0]
    assert (record["organisation"], record["on_behalf_of"], record["on_behalf_of_verified"]) == (
        "Government of Everywhere Inc",
        None,
        None,
    )


def test_leaving_or_being_removed_does_not_change_published_comments(client, statement, moderator):
    organisation = verified_organisation(name="Border Chamber")
    admin = organisation.memberships.get().user
    leaver, removed = make_user(display_name="Leaver"), make_user(display_name="Removed")
    for member in (leaver, removed):
        join(organisation, member)
    first = make_comment(statement, author=leaver, on_behalf_of=organisation, approve_by=moderator)
    second = make_comment(statement, author=removed, on_behalf_of=organisation, approve_by=moderator)

    client.force_login(leaver)
    mine = Membership.objects.get(user=leaver)
    response = client.post(f"/en/dialogue/organisations/{organisation.pk}/members/{mine.pk}/end/")
    assert response.status_code == 302
    client.force_login(admin)
    theirs = Membership.objects.get(user=removed)
    client.post(f"/en/dialogue/organisations/{organisation.pk}/members/{theirs.pk}/end/")
    assert set(organisation.memberships.values_list("user", flat=True)) == {admin.pk}

    client.logout()
    html = client.get(f"/en/statements/{statement.slug}/").text
    for comment in (first, second):
        comment.refresh_from_db()
        assert comment.on_behalf_of == organisation
    assert html.count("on behalf of Border Chamber") == 2
    with pytest.raises(NotAllowed):  # but no new comment on its behalf
        services.comment_submit(author=leaver, statement=statement, body=TEXT, language="en", on_behalf_of=organisation)


def test_the_last_administrator_cannot_leave(client):
    organisation = register()
    admin = organisation.memberships.get()
    with pytest.raises(NotAllowed):
        organisations.membership_end(membership=admin, actor=admin.user)


def test_the_members_page_query_count_does_not_grow_with_the_members(client, django_assert_num_queries):
    organisation = verified_organisation()
    admin = organisation.memberships.get().user
    client.force_login(admin)
    url = f"/en/dialogue/organisations/{organisation.pk}/"
    client.get(url)
    join(organisation, make_user())
    # the user (with whether they may hold a permission: a stakeholder does not), the membership with
    # its organisation, the members, the open invitations
    with django_assert_num_queries(4):
        client.get(url)
    for _ in range(8):
        join(organisation, make_user())
    # the user (with whether they may hold a permission: a stakeholder does not), the membership with
    # its organisation, the members, the open invitations
    with django_assert_num_queries(4):
        assert client.get(url).text.count("Remove Participant") == 9


# --- Conflict of interest: the moderator's organisation (issue 15 item 2) -----------------------


@pytest.fixture
def colleagues():
    """A moderator who belongs to a verified organisation, and a colleague in it."""
    moderator = make_moderator(display_name="Moderator Member")
    organisation = verified_organisation(moderator, name="Chamber of Commerce")
    colleague = make_user(display_name="Colleague")
    join(organisation, colleague)
    return moderator, organisation, colleague


def test_a_moderator_cannot_act_on_their_organisations_comments(statement, colleagues):
    """On its behalf, or by one of its members in their own name: every moderation service refuses."""
    moderator, organisation, colleague = colleagues
    on_behalf = make_comment(statement, author=colleague, on_behalf_of=organisation)
    own_name = make_comment(statement, author=colleague)
    for comment in (on_behalf, own_name):
        with pytest.raises(ConflictOfInterest):
            services.comment_approve(comment=comment, moderator=moderator, seen=comment.fingerprint)
        with pytest.raises(ConflictOfInterest):
            services.comment_reject(comment=comment, moderator=moderator, seen=comment.fingerprint, reason="spam")
    other = make_moderator()
    services.comment_approve(comment=on_behalf, moderator=other, seen=on_behalf.fingerprint)
    with pytest.raises(ConflictOfInterest):
        services.comment_hide(comment=on_behalf, moderator=moderator, seen=on_behalf.fingerprint, reason="spam")
    with pytest.raises(ConflictOfInterest):
        services.response_post(comment=on_behalf, moderator=moderator, government="CA", body="Yes.", language="en")
    services.comment_hide(comment=on_behalf, moderator=other, seen=on_behalf.fingerprint, reason="spam")
    with pytest.raises(ConflictOfInterest):
        services.comment_restore(comment=on_behalf, moderator=moderator, seen=on_behalf.fingerprint)
    assert Comment.objects.get(pk=own_name.pk).status == Comment.Status.PENDING


def test_reports_on_their_organisations_comments_are_for_another_moderator(statement, colleagues):
    moderator, organisation, colleague = colleagues
    comment = make_comment(statement, author=colleague, on_behalf_of=organisation, approve_by=make_moderator())
    for _report in range(3):
        services.comment_flag(comment=comment, flagger=make_user(), reason="spam")
    with pytest.raises(ConflictOfInterest):
        services.flags_resolve(comment=comment, moderator=moderator, seen=comment.fingerprint, uphold=False)


def test_over_http_the_decision_is_refused_and_the_queue_shows_why(client, statement, colleagues):
    moderator, organisation, colleague = colleagues
    comment = make_comment(statement, author=colleague, on_behalf_of=organisation)
    unrelated = make_comment(statement)
    client.force_login(moderator)
    response = client.post(
        f"/en/moderation/comments/{comment.tracking_number}/approve/", {"seen": comment.fingerprint}, follow=True
    )
    assert "submitted on behalf of your organisation" in response.text
    assert Comment.objects.get(pk=comment.pk).status == Comment.Status.PENDING
    queue = client.get("/en/moderation/").text
    assert "Your organisation" in queue and "another moderator decides on it" in queue
    assert f"Approve {comment.tracking_number}" not in queue
    assert f"Approve {unrelated.tracking_number}" in queue
    detail = client.get(f"/en/moderation/comments/{comment.tracking_number}/").text
    assert "conflict-of-interest" in detail and "Approve and publish" not in detail
    assert "on behalf of Chamber of Commerce" in detail


def test_a_decision_reads_the_memberships_as_they_are_now_not_as_the_request_began(statement):
    """The signed-in user is read with whether they belong to an organisation (spp_portal/auth.py); a
    moderator who joins one while their request runs is still refused its members' comments, because
    the services ask for the memberships afresh, under the decision's locks."""
    from spp_portal.auth import AuthenticationBackend

    moderator = make_moderator(display_name="Moderator Joining")
    organisation = verified_organisation(name="Chamber of Commerce")
    colleague = organisation.memberships.get().user
    comment = make_comment(statement, author=colleague)
    signed_in = AuthenticationBackend().get_user(moderator.pk)  # as the request read them: no organisation
    join(organisation, moderator)
    with pytest.raises(ConflictOfInterest):
        services.comment_approve(comment=comment, moderator=signed_in, seen=comment.fingerprint)


def test_the_conflict_follows_membership_but_a_comment_keeps_its_organisation(statement, colleagues):
    """Once the colleague leaves, their own comments are no longer the moderator's concern; the comments they
    submitted on the organisation's behalf still are."""
    moderator, organisation, colleague = colleagues
    on_behalf = make_comment(statement, author=colleague, on_behalf_of=organisation)
    own_name = make_comment(statement, author=colleague)
    organisations.membership_end(membership=Membership.objects.get(user=colleague), actor=colleague)
    services.comment_approve(comment=own_name, moderator=moderator, seen=own_name.fingerprint)
    with pytest.raises(ConflictOfInterest):
        services.comment_approve(comment=on_behalf, moderator=moderator, seen=on_behalf.fingerprint)
