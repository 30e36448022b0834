"""
Every kind of page the portal has, by who opens it, and the data that fills them.

The layout suite (test_layout.py: reflow, header, target sizes) and the accessibility suite
(test_accessibility.py: axe-core) visit the same list, so a page added here is checked by both.
Paths are templates: {lang} and the names `build_world()` returns ({statement}, {receipt}, …).
"""

from dataclasses import dataclass

from dialogue.models import Comment
from priorities.models import Statement
from tests.factories import make_comment, make_moderator, make_publisher, make_statement, make_user

LANGUAGES = ["en", "fr", "es"]
# The browser's own language per portal language: the admin (outside the /en/ /fr/ /es/ prefixes)
# follows it, as it would for a real publisher.
BROWSER_LOCALES = {"en": "en-CA", "fr": "fr-CA", "es": "es-MX"}
ROLES = ["anonymous", "stakeholder", "moderator", "publisher"]

# Long words and names as people type them: an organisation's name in one word, a link, a
# French compound. They must wrap, not push the page sideways.
LONG_NAME = "Asociación Nacional de Cooperativas Agroindustriales de Baja California Sur"
LONG_WORD = "Organisationsentwicklungszusammenarbeitsvereinbarungsentwurf"
LONG_LINK = "https://www.example.org/reports/2026/trilateral-border-wait-times-and-inspection-capacity-annex-b.pdf"


@dataclass(frozen=True)
class PageKind:
    name: str
    path: str
    status: int = 200
    # The portal's own header (language switcher, search) is on every page but the admin's.
    portal_header: bool = True
    # Visited, but left out of the assertions until the work named here lands (then delete it).
    awaiting: str = ""
    # Asks for the password again first (publishing steps): the suites give it (sessions.py).
    password_again: bool = False


PUBLIC = [
    PageKind("home", "/{lang}/"),
    PageKind("priorities", "/{lang}/priorities/"),
    PageKind("priority", "/{lang}/priorities/competitiveness/"),
    PageKind("statements", "/{lang}/statements/"),
    PageKind("statement", "/{lang}/statements/{statement}/"),
    PageKind("search", "/{lang}/search/?q=border"),
    PageKind("participation", "/{lang}/participation/"),
    PageKind("open-data", "/{lang}/open-data/"),
    PageKind("api-reference", "/{lang}/api/"),
    PageKind("moderation-policy", "/{lang}/dialogue/moderation-policy/"),
    PageKind("moderation-report", "/{lang}/dialogue/moderation-report/"),
    PageKind("campaign", "/{lang}/dialogue/campaigns/{campaign}/"),
    PageKind("verify", "/{lang}/dialogue/verify/"),
    PageKind("not-found", "/{lang}/no/such/page/", status=404),
    PageKind("privacy", "/{lang}/privacy/"),
    PageKind("terms", "/{lang}/terms/"),
    PageKind("accessibility", "/{lang}/accessibility/"),
]
SIGNED_OUT = [
    PageKind("sign-in", "/{lang}/accounts/login/"),
    PageKind("sign-up", "/{lang}/accounts/signup/"),
    PageKind("password-reset", "/{lang}/accounts/password/reset/"),
]
# Every signed-in person has an account: these pages are theirs whatever their role.
ACCOUNT = [
    PageKind("my-submissions", "/{lang}/dialogue/mine/"),
    PageKind("profile", "/{lang}/accounts/profile/"),
    PageKind("my-data", "/{lang}/accounts/my-data/"),
    PageKind("api-keys", "/{lang}/accounts/api-keys/"),
    PageKind("email", "/{lang}/accounts/email/"),
    PageKind("two-factor", "/{lang}/accounts/2fa/"),
]
STAKEHOLDER = [
    PageKind("receipt", "/{lang}/dialogue/receipt/{receipt}/"),
    # A comment by someone else, with its long link and word: the support page quotes it whole.
    PageKind("support", "/{lang}/dialogue/comments/{published}/support/"),
    PageKind("appeal", "/{lang}/dialogue/comments/{rejected}/appeal/"),
    PageKind("two-factor-set-up", "/{lang}/accounts/2fa/totp/activate/"),
]
MODERATOR = [
    PageKind("moderation-queue", "/{lang}/moderation/"),
    PageKind("moderation-flagged", "/{lang}/moderation/?status=flagged"),
    PageKind("moderation-decision", "/{lang}/moderation/comments/{pending}/"),
    PageKind("moderation-published-comment", "/{lang}/moderation/comments/{published}/"),
    PageKind("moderation-appeals", "/{lang}/moderation/appeals/"),
    PageKind("moderation-campaign", "/{lang}/moderation/campaigns/{campaign}/"),
    PageKind("audit-log", "/{lang}/moderation/log/"),
]
PUBLISHER = [
    PageKind("admin-index", "/admin/", portal_header=False),
    PageKind("admin-statements", "/admin/priorities/statement/", portal_header=False),
    PageKind("admin-directives", "/admin/priorities/directive/", portal_header=False),
    PageKind("admin-statement-form", "/admin/priorities/statement/{statement_pk}/change/", portal_header=False),
    # The statement's own publishing steps, each a confirmation page; a draft lacking French and Spanish
    # shows the "publish without" boxes.
    PageKind(
        "admin-statement-publish",
        "/admin/priorities/statement/{draft_pk}/publish/",
        portal_header=False,
        password_again=True,
    ),
    PageKind(
        "admin-statement-schedule",
        "/admin/priorities/statement/{draft_pk}/schedule/",
        portal_header=False,
        password_again=True,
    ),
    PageKind(
        "admin-statement-withdraw",
        "/admin/priorities/statement/{statement_pk}/withdraw/",
        portal_header=False,
        password_again=True,
    ),
]

PAGES_BY_ROLE = {
    "anonymous": PUBLIC + SIGNED_OUT,
    "stakeholder": PUBLIC + ACCOUNT + STAKEHOLDER,
    "moderator": PUBLIC + ACCOUNT + MODERATOR,
    "publisher": PUBLIC + ACCOUNT + PUBLISHER,
}


def build_world() -> dict:
    """
    One statement with a real conversation (threads, an official response, long names and
    words, pending work), and a person for each role; returns the users and the path values.
    """
    from dialogue import services

    moderator = make_moderator(display_name="Moderator Chen")
    publisher = make_publisher(display_name="Publisher Dubois")
    stakeholder = make_user(
        display_name="Amélie Tremblay", country="CA", sector="academia", organisation="Université Laval"
    )
    cooperative = make_user(display_name=LONG_NAME, country="MX", sector="civil_society", organisation=LONG_WORD)
    statement = make_statement(title_en="Statement with a conversation", title_fr="Déclaration avec une conversation")
    draft = make_statement(status=Statement.Status.DRAFT, title_en="A draft in English only", open_comments=False)
    first = make_comment(
        statement,
        author=cooperative,
        body=f"Border wait times need published targets: {LONG_LINK} {LONG_WORD}.",
        approve_by=moderator,
    )
    make_comment(statement, body="Agreed, and reported monthly.", parent=first, approve_by=moderator)
    services.response_post(
        comment=first, moderator=moderator, government="CA", body="Targets will be published.", language="en"
    )
    directive = statement.directives.first()
    receipt = make_comment(
        statement,
        author=stakeholder,
        body="Mi comentario pendiente sobre la frontera.",
        language="es",
        directive=directive,
    )
    # The stakeholder's "My submissions" shows "New official response" and "New reply" (issue 13 item 5).
    answered = make_comment(
        statement, author=stakeholder, body="Publish the border targets yearly.", approve_by=moderator
    )
    services.response_post(
        comment=answered, moderator=moderator, government="joint", body="They will be.", language="fr"
    )
    make_comment(statement, author=cooperative, body="Seconded, every year.", parent=answered, approve_by=moderator)
    pending = make_comment(statement, author=cooperative, body=f"A comment waiting for a decision, with {LONG_LINK}.")
    flagged = make_comment(statement, body="A published comment that someone reported.", approve_by=moderator)
    services.comment_flag(comment=flagged, flagger=stakeholder, reason="off_topic", note=LONG_WORD)
    # A rejected comment of the stakeholder's to appeal, and one of the cooperative's appealed already.
    rejected = make_comment(statement, author=stakeholder, body="Off topic, and the stakeholder disagrees.")
    services.comment_reject(comment=rejected, moderator=moderator, seen=rejected.fingerprint, reason="off_topic")
    appealed = make_comment(statement, author=cooperative, body=f"Rejected, then appealed: {LONG_WORD}.")
    services.comment_reject(comment=appealed, moderator=moderator, seen=appealed.fingerprint, reason="off_topic")
    services.appeal_submit(comment=appealed, author=cooperative, explanation=f"It is on topic: {LONG_LINK}")
    # A campaign (issue 15): a form letter sent with small edits by five participants, two published.
    letter = (
        f"We, the undersigned members of {LONG_WORD}, ask the three governments to publish the border "
        f"wait-time targets every year and to consult the municipalities first: {LONG_LINK}"
    )
    copies = [
        make_comment(statement, author=make_user(display_name=f"{LONG_NAME} {n}"), body=f"{letter} Signed {n}.")
        for n in range(5)
    ]
    for copy in copies[:2]:
        services.comment_approve(comment=copy, moderator=moderator, seen=copy.fingerprint)
    return {
        "users": {"stakeholder": stakeholder, "moderator": moderator, "publisher": publisher},
        "paths": {
            "statement": statement.slug,
            "statement_pk": statement.pk,
            "draft_pk": draft.pk,
            "receipt": receipt.tracking_number,
            "pending": pending.tracking_number,
            "published": first.tracking_number,
            "rejected": rejected.tracking_number,
            "campaign": Comment.objects.get(pk=copies[0].pk).campaign_id,
        },
    }
