"""
Every kind of page the portal has, by who opens it, and the data that fills them.

The layout suite (test_layout.py: reflow, header, target sizes) and the accessibility suite
(test_accessibility.py: axe-core) visit the same list, so a page added here is checked by both.
Paths are templates: {lang} and the names `build_world()` returns ({statement}, {receipt}, …).
"""

from dataclasses import dataclass

from django.core.files.base import ContentFile

from dialogue.models import Comment
from priorities.models import Statement, StatementDocument
from tests.factories import make_comment, make_moderator, make_publisher, make_statement, make_user
from tests.files import docx_bytes, pdf_bytes, upload

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
    # Version 2 against version 1, word by word: a long word and a link among the changes must wrap.
    PageKind("statement-versions", "/{lang}/statements/{statement}/versions/"),
    # "What we heard" on a closed statement, and that statement's page linking it.
    PageKind("outcome-report", "/{lang}/statements/{closed}/what-we-heard/"),
    PageKind("closed-statement", "/{lang}/statements/{closed}/"),
    # One thread alone, whole: where a long thread's "Show all N replies" leads.
    PageKind("statement-thread", "/{lang}/statements/{statement}/?thread={published}#comments"),
    PageKind("search", "/{lang}/search/?q=border"),
    PageKind("participation", "/{lang}/participation/"),
    PageKind("open-data", "/{lang}/open-data/"),
    PageKind("api-reference", "/{lang}/api/"),
    PageKind("moderation-policy", "/{lang}/dialogue/moderation-policy/"),
    PageKind("moderation-report", "/{lang}/dialogue/moderation-report/"),
    PageKind("campaign", "/{lang}/dialogue/campaigns/{campaign}/"),
    PageKind("verify", "/{lang}/dialogue/verify/"),
    # The link at the foot of a follower's email: no sign-in needed.
    PageKind("unsubscribe", "/{lang}/dialogue/unsubscribe/{unsubscribe}/"),
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
    PageKind("subscriptions", "/{lang}/dialogue/subscriptions/"),
    PageKind("my-organisations", "/{lang}/dialogue/organisations/"),
    PageKind("organisation-register", "/{lang}/dialogue/organisations/new/"),
    PageKind("email", "/{lang}/accounts/email/"),
    PageKind("two-factor", "/{lang}/accounts/2fa/"),
]
STAKEHOLDER = [
    PageKind("receipt", "/{lang}/dialogue/receipt/{receipt}/"),
    # A comment by someone else, with its long link and word: the support page quotes it whole.
    PageKind("support", "/{lang}/dialogue/comments/{published}/support/"),
    PageKind("appeal", "/{lang}/dialogue/comments/{rejected}/appeal/"),
    PageKind("follow-statement", "/{lang}/dialogue/statements/{statement}/follow/"),
    PageKind("follow-priority", "/{lang}/dialogue/priorities/competitiveness/follow/"),
    # The organisation the stakeholder administers (members, invitations), and another's invitation to them.
    PageKind("organisation", "/{lang}/dialogue/organisations/{organisation}/"),
    PageKind("invitation", "/{lang}/dialogue/organisations/invitations/{invitation}/"),
    PageKind("two-factor-set-up", "/{lang}/accounts/2fa/totp/activate/"),
]
MODERATOR = [
    PageKind("moderation-queue", "/{lang}/moderation/"),
    PageKind("moderation-flagged", "/{lang}/moderation/?status=flagged"),
    PageKind("moderation-decision", "/{lang}/moderation/comments/{pending}/"),
    PageKind("moderation-published-comment", "/{lang}/moderation/comments/{published}/"),
    PageKind("moderation-appeals", "/{lang}/moderation/appeals/"),
    PageKind("moderation-organisations", "/{lang}/moderation/organisations/"),
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
    PageKind("admin-outcome-reports", "/admin/priorities/outcomereport/", portal_header=False),
    PageKind("admin-outcome-report-add", "/admin/priorities/outcomereport/add/", portal_header=False),
    PageKind(
        "admin-outcome-report-form", "/admin/priorities/outcomereport/{outcome_draft_pk}/change/", portal_header=False
    ),
    # The draft's statement is still open for comments: the page says why it cannot be published yet.
    PageKind(
        "admin-outcome-report-publish",
        "/admin/priorities/outcomereport/{outcome_draft_pk}/publish/",
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
    from dialogue import organisations, services
    from dialogue.models import Subscription
    from dialogue.notifications import unsubscribe_token
    from priorities import services as publishing

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
        # Attached files (issue 14): a long name on the thread, and the receipt's and moderators' lists.
        files=[upload(f"{LONG_WORD}.pdf", pdf_bytes("Published targets"))],
    )
    StatementDocument.objects.create(
        statement=statement,
        language="fr",
        title=f"Déclaration signée — {LONG_WORD}",
        file=ContentFile(pdf_bytes("Signed"), name="signed.pdf"),
        name="signed.pdf",
        size=1000,
        sha256="0" * 64,
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
        files=[upload("frontera.docx", docx_bytes("Tiempos de espera en la frontera"))],
    )
    # The stakeholder's "My submissions" shows "New official response" and "New reply" (issue 13 item 5).
    answered = make_comment(
        statement, author=stakeholder, body="Publish the border targets yearly.", approve_by=moderator
    )
    services.response_post(
        comment=answered, moderator=moderator, government="joint", body="They will be.", language="fr"
    )
    make_comment(statement, author=cooperative, body="Seconded, every year.", parent=answered, approve_by=moderator)
    pending = make_comment(
        statement,
        author=cooperative,
        body=f"A comment waiting for a decision, with {LONG_LINK}.",
        files=[upload("notes.txt", f"Notes for the moderators: {LONG_WORD}".encode())],
    )
    flagged = make_comment(statement, body="A published comment that someone reported.", approve_by=moderator)
    services.comment_flag(comment=flagged, flagger=stakeholder, reason="off_topic", note=LONG_WORD)
    # A rejected comment of the stakeholder's to appeal, and one of the cooperative's appealed already.
    rejected = make_comment(statement, author=stakeholder, body="Off topic, and the stakeholder disagrees.")
    services.comment_reject(comment=rejected, moderator=moderator, seen=rejected.fingerprint, reason="off_topic")
    appealed = make_comment(statement, author=cooperative, body=f"Rejected, then appealed: {LONG_WORD}.")
    services.comment_reject(comment=appealed, moderator=moderator, seen=appealed.fingerprint, reason="off_topic")
    services.appeal_submit(comment=appealed, author=cooperative, explanation=f"It is on topic: {LONG_LINK}")
    # Amended after the conversation began: its comments say they were written on version 1.
    publishing.statement_amend(
        statement=statement,
        by=publisher,
        summary={"en": f"The report's address and the {LONG_WORD} added.", "fr": "Adresse du rapport ajoutée."},
        texts={"body_en": f"{statement.body_en} Report: {LONG_LINK} {LONG_WORD}.", "title_fr": "Déclaration modifiée"},
    )
    closed, outcome_draft = _what_we_heard(statement, moderator, publisher, cooperative)
    # The stakeholder follows the statement (the follow page then offers "Stop following"), and a
    # priority, so "Email I receive" lists both beside the emails about their comments.
    services.subscription_set(user=stakeholder, topic="statement", statement=statement, delivery="immediate")
    services.subscription_set(
        user=stakeholder, topic="priority", priority=directive.priority, delivery=Subscription.Delivery.DAILY
    )
    # Organisations (issue 14): the stakeholder's, verified, with a comment on its behalf and an anonymous
    # one beside it; the cooperative's, waiting for verification, which invited the stakeholder.
    organisation = organisations.organisation_register(
        user=stakeholder,
        name=LONG_NAME,
        country="MX",
        sector="civil_society",
        website=LONG_LINK,
        registry_id="ABC680524P76",
    )
    organisations.organisation_decide(organisation=organisation, moderator=moderator, verify=True, note=LONG_WORD)
    make_comment(
        statement,
        author=stakeholder,
        body="On behalf of the association.",
        on_behalf_of=organisation,
        approve_by=moderator,
    )
    # By a participant of their own: the cooperative has written as many comments as ten minutes allow.
    shy = make_user(display_name="Participante reservado", country="MX", sector="civil_society")
    make_comment(statement, author=shy, body="Without my name, please.", anonymous=True, approve_by=moderator)
    waiting = organisations.organisation_register(
        user=cooperative, name=LONG_WORD, country="US", sector="business", website=LONG_LINK, registry_id="401103153"
    )
    invitation = organisations.invitation_send(organisation=waiting, inviter=cooperative, email=stakeholder.email)
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
            "closed": closed.slug,
            "outcome_draft_pk": outcome_draft.pk,
            "unsubscribe": unsubscribe_token(stakeholder, "statement", statement),
            "organisation": organisation.pk,
            "invitation": invitation.token,
            "campaign": Comment.objects.get(pk=copies[0].pk).campaign_id,
        },
    }


def _what_we_heard(statement, moderator, publisher, cooperative):
    """
    A statement whose comment period has closed, with its "What we heard" published in the three
    languages (long words in a theme and long labels in the figures); and a draft report on `statement`.
    """
    import datetime

    from django.utils import timezone

    from dialogue.outcomes import outcome_report_publish
    from priorities import services as publishing
    from priorities.models import OutcomeReport, OutcomeTheme

    closed = make_statement(
        title_en="A consultation that has closed",
        title_fr="Une consultation terminée",
        title_es="Una consulta cerrada",
        body_fr="Texte.",
        body_es="Texto.",
    )
    make_comment(
        closed, author=cooperative, language="es", body=f"Tiempos de espera: {LONG_LINK}", approve_by=moderator
    )
    make_comment(closed, language="fr", body="Des cibles publiées chaque année.", approve_by=moderator)
    publishing.comment_period_change(
        statement=closed,
        by=publisher,
        opens_at=closed.comments_open_at,
        closes_at=timezone.now() - datetime.timedelta(minutes=1),
    )
    texts = {
        "en": ("Participants asked for published targets.", "Targets", "Yearly targets, please.", "They will be."),
        "fr": ("Les participants ont demandé des cibles.", LONG_WORD, "Des cibles annuelles.", "Elles le seront."),
        "es": ("Los participantes pidieron metas.", "Metas", "Metas anuales, por favor.", "Así será."),
    }
    report = OutcomeReport.objects.create(statement=closed, **{f"summary_{code}": t[0] for code, t in texts.items()})
    OutcomeTheme.objects.create(
        report=report,
        order=1,
        **{
            f"{field}_{code}": t[index]
            for code, t in texts.items()
            for index, field in ((1, "title"), (2, "heard"), (3, "response"))
        },
    )
    outcome_report_publish(report=report, by=publisher)
    draft = OutcomeReport.objects.create(statement=statement, summary_en="A draft, in English so far.")
    return closed, draft
