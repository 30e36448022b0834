"""Forms of the conversation: the stakeholder profile, comments, reports and moderators' decisions."""

import re

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.text import format_lazy
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from pagecache.cache import cached_fragment
from priorities.models import Priority, Statement

from .models import (
    REASON_REQUIRED,
    TEXT_CHANGED,
    Comment,
    ModerationEvent,
    OfficialResponse,
    Organisation,
    RejectionReason,
    Stakeholder,
    Subscription,
    is_organisation_member,
    reason_missing,
)
from .roles import is_official
from .text import claims_official_identity, clean_body, invisible_controls, name_controls

PROFILE_FIELDS = ["display_name", "country", "sector", "organisation", "preferred_language"]


class PublicNameFields:
    """
    The display name and organisation are shown beside every comment, so they obey the rules of
    comments: no invisible control, direction-changing or zero-width characters. And they may not
    pass for the portal, a moderator or a government (dialogue.text.claims_official_identity)
    unless the account is an official's.
    """

    def account(self):
        """The account whose profile this is; None at sign-up (no one signs up as an official)."""
        return None

    def clean_display_name(self):
        return self._clean_public_name("display_name")

    def clean_organisation(self):
        return self._clean_public_name("organisation")

    def _clean_public_name(self, field: str) -> str:
        value = self.cleaned_data[field]
        if name_controls(value):
            raise forms.ValidationError(
                _(
                    "This contains invisible characters (for example a right-to-left override or a zero-width "
                    "space). Please remove them."
                ),
                code="control_characters",
            )
        if value and claims_official_identity(value) and not ((account := self.account()) and is_official(account)):
            raise forms.ValidationError(
                _(
                    "This name could be taken for the portal, its moderators or a government. Please choose "
                    "another name."
                ),
                code="official_identity",
            )
        return value


PUBLIC_HELP = _("Shown publicly beside your comments and in the portal's open data.")


class SignupForm(PublicNameFields, forms.ModelForm):
    """allauth's ACCOUNT_SIGNUP_FORM_CLASS: the profile and consent, collected with the email and password."""

    accept_terms = forms.BooleanField(
        label=_("I have read and accept the terms of participation and the privacy notice."),
        help_text=format_lazy(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse_lazy("terms"),
            _("Terms of participation"),
            reverse_lazy("privacy"),
            _("Privacy notice"),
        ),
        error_messages={"required": _("You must accept the terms of participation to take part.")},
    )
    field_order = ["email", "password1", "password2", *PROFILE_FIELDS, "accept_terms"]

    class Meta:
        model = Stakeholder
        fields = PROFILE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["preferred_language"].initial = get_language()
        # No country is chosen for anyone: a blank "choose" first, and one must be picked.
        country = self.fields["country"]
        country.choices = [("", _("Choose your country…")), *Stakeholder.Country.choices]
        country.initial = None
        country.required = True
        for field in ("country", "sector", "organisation"):
            self.fields[field].help_text = PUBLIC_HELP
        self.fields["display_name"].help_text = PUBLIC_HELP

    def signup(self, request, user):
        Stakeholder.objects.update_or_create(
            user=user,
            defaults={
                **{field: self.cleaned_data[field] for field in PROFILE_FIELDS},
                "terms_version": settings.TERMS_VERSION,
                "terms_accepted_at": timezone.now(),
            },
        )


class ProfileForm(PublicNameFields, forms.ModelForm):
    """The public profile and the language of the portal's email (what is emailed: "Email I receive")."""

    class Meta:
        model = Stakeholder
        fields = PROFILE_FIELDS

    def account(self):
        return self.instance.user

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(Fieldset(_("Your public profile"), *PROFILE_FIELDS))


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("This is not your password."), code="wrong_password")
        return password


def _number(value: int) -> str:
    """A count as the reader's language writes it (5,000 · 5 000), as the templates' intcomma does."""
    return number_format(value, force_grouping=True)


class CommentTextForm(forms.Form):
    """The text of a comment: plain, within Comment's length limits, no invisible control characters."""

    body = forms.CharField(
        label=_("Your comment"),
        widget=forms.Textarea(attrs={"rows": 7, "maxlength": Comment.BODY_MAX_LENGTH}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Here, not on the field: the limits are written in the language of the request.
        self.fields["body"].help_text = gettext(
            "Plain text, %(min)s to %(max)s characters. Blank lines separate paragraphs; web addresses become "
            "links. It will be published after a moderator has reviewed it."
        ) % {"min": _number(Comment.BODY_MIN_LENGTH), "max": _number(Comment.BODY_MAX_LENGTH)}
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_body(self):
        body = clean_body(self.cleaned_data["body"])
        if len(body) < Comment.BODY_MIN_LENGTH:
            raise forms.ValidationError(
                _("Your comment must be at least %(min)d characters long (it has %(count)d)."),
                code="too_short",
                params={"min": Comment.BODY_MIN_LENGTH, "count": len(body)},
            )
        if len(body) > Comment.BODY_MAX_LENGTH:
            raise forms.ValidationError(
                _("Your comment can be at most %(max)s characters long (it has %(count)s)."),
                code="too_long",
                params={"max": _number(Comment.BODY_MAX_LENGTH), "count": len(body)},
            )
        if invisible_controls(body):
            raise forms.ValidationError(
                _(
                    "Your comment contains invisible control characters (for example a right-to-left override). "
                    "Please remove them and submit again."
                ),
                code="control_characters",
            )
        return body


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files in one input; each is checked by its content in the service (dialogue.services)."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(AttachmentsField, self).clean(file, initial) for file in files]


# Files a browser offers to pick (a hint only: the portal recognises each file by its content).
ATTACHMENT_ACCEPT = ".pdf,.docx,.odt,.txt,.png,.jpg,.jpeg"

# A refused form cannot give the files back: browsers never refill a file input.
FILES_NOT_KEPT = _("Your text is kept below, but browsers cannot keep chosen files: please choose your files again.")


class CommentForm(CommentTextForm):
    """A comment on a statement (as a whole, one of its priorities or one of its directives), or a reply."""

    about = forms.ChoiceField(label=_("What is your comment about?"), required=False)
    language = forms.ChoiceField(label=_("Language of your comment"), choices=settings.LANGUAGES)
    on_behalf_of = forms.ModelChoiceField(
        label=_("Submitted on behalf of"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("In my own name"),
        help_text=_("On behalf of a verified organisation you belong to: its name is shown with your comment."),
        error_messages={"invalid_choice": _("You can only comment on behalf of an organisation you belong to.")},
    )
    anonymous = forms.BooleanField(
        label=_("Publish without my name"),
        required=False,
        help_text=_(
            "Your comment is shown as from an “Anonymous participant”, with only your country and sector. "
            "Moderators still see who wrote it."
        ),
    )
    attachments = AttachmentsField(
        label=_("Attach files (optional)"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ATTACHMENT_ACCEPT}),
    )
    field_order = ["about", "body", "language", "attachments", "on_behalf_of", "anonymous"]

    def __init__(self, *args, statement, reply=False, author=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.statement = statement
        self.fields["language"].initial = get_language()
        self.fields["attachments"].help_text = gettext(
            "Up to %(count)d files of %(size)s MB each: PDF, DOCX, ODT, TXT, PNG or JPEG. They are reviewed and "
            "published with your comment, and their text can be searched."
        ) % {"count": settings.ATTACHMENT_MAX_FILES, "size": _number(settings.ATTACHMENT_MAX_BYTES // (1024 * 1024))}
        if reply:
            del self.fields["about"]
        else:
            self.fields["about"].choices = about_choices(statement)
        # The organisations the author belongs to, verified or not (an unverified one is refused with
        # its reason); without any, the choice is not offered (and anything posted is refused).
        organisations = Organisation.objects.filter(memberships__user=author) if author else Organisation.objects.none()
        self.fields["on_behalf_of"].queryset = organisations
        self.offers_organisations = author is not None and is_organisation_member(author)
        if not self.offers_organisations:
            self.fields["on_behalf_of"].widget = forms.HiddenInput()

    def clean_on_behalf_of(self):
        organisation = self.cleaned_data.get("on_behalf_of")
        if organisation is not None and not organisation.is_verified:
            raise forms.ValidationError(
                _("“%(name)s” is not verified yet: you can comment on its behalf once a moderator has verified it."),
                code="unverified",
                params={"name": organisation.name},
            )
        return organisation

    def clean(self):
        cleaned = super().clean()
        if not self.offers_organisations and "on_behalf_of" in self.errors:
            # The field is hidden: its refusal is shown above the form.
            self.add_error(None, self.errors.pop("on_behalf_of"))
        if cleaned.get("on_behalf_of") and cleaned.get("anonymous"):
            self.add_error(
                "anonymous",
                forms.ValidationError(
                    _(
                        "A comment on behalf of an organisation is published with your name: "
                        "it cannot also be anonymous."
                    ),
                    code="anonymous_on_behalf",
                ),
            )
        return cleaned

    def clean_attachments(self):
        files = self.cleaned_data.get("attachments") or []
        if len(files) > settings.ATTACHMENT_MAX_FILES:
            raise forms.ValidationError(
                _("You can attach at most %(max)d files to a comment (you chose %(count)d)."),
                code="too_many_files",
                params={"max": settings.ATTACHMENT_MAX_FILES, "count": len(files)},
            )
        return files

    def clean_about(self):
        """{"directive": d} or {"priority": p}, or {} for the statement as a whole."""
        value = self.cleaned_data.get("about") or ""
        kind, _sep, pk = value.partition(":")
        if kind == "directive":
            return {"directive": self.statement.directives.get(pk=pk)}
        if kind == "priority":
            return {"priority": self.statement.priorities.get(pk=pk)}
        return {}

    def subject(self) -> dict:
        """
        What the form is about as it stands (posted, or opened from a directive's or priority's link):
        {"directive": d}, {"priority": p} or {} — for the page's heading. Unknown values mean the statement.
        """
        if "about" not in self.fields:
            return {}
        value = str(self["about"].value() or "")
        kind, _sep, pk = value.partition(":")
        if not pk.isdigit() or int(pk) >= 2**63:
            return {}
        if kind == "directive":
            directive = self.statement.directives.select_related("priority").filter(pk=pk).first()
            return {"directive": directive} if directive else {}
        if kind == "priority":
            priority = self.statement.priorities.filter(pk=pk).first()
            return {"priority": priority} if priority else {}
        return {}


def about_choices(statement):
    """
    What a comment may be about, in the reader's language: the same for every form of the statement
    until the record changes (every submission's form asks; submissions do not change the record).
    """
    return cached_fragment(
        f"about-choices:{statement.pk}:{statement.updated_at.isoformat()}",
        lambda: _about_choices(statement),
        tags=[Statement.RECORD_TAG],
    )


def _about_choices(statement):
    choices = [("", str(_("The statement as a whole")))]
    priorities = [(f"priority:{p.pk}", p.title) for p in statement.priorities.all()]
    if priorities:
        choices.append((str(_("A priority it addresses")), priorities))
    # The whole text of each directive: a choice cut short could be mistaken for another.
    directives = [
        (f"directive:{d.pk}", f"{d.priority.title}: {d.text}")
        for d in statement.directives.select_related("priority").order_by("priority__order", "order")
    ]
    if directives:
        choices.append((str(_("One of its directives")), directives))
    return choices


class EditCommentForm(CommentTextForm):
    """The author's change to a pending comment."""


class FlagForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why should moderators review this comment?"), choices=[])
    note = forms.CharField(
        label=_("Anything moderators should know (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = RejectionReason.choices
        self.helper = FormHelper()
        self.helper.form_tag = False


class FollowForm(forms.Form):
    """Follow a statement or a priority: right away, or in a daily digest."""

    delivery = forms.ChoiceField(
        label=_("How would you like to hear of it?"),
        widget=forms.RadioSelect,
        choices=[
            (Subscription.Delivery.IMMEDIATE, Subscription.Delivery.IMMEDIATE.label),
            (Subscription.Delivery.DAILY, Subscription.Delivery.DAILY.label),
        ],
        initial=Subscription.Delivery.IMMEDIATE,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class SubscriptionsForm(forms.Form):
    """
    Everything a person receives, one choice each: what they follow (statements, priorities) and the
    standing topics (replies and responses to their comments; prompts for moderators).
    """

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.subscriptions = {}
        mine = {
            (row.topic, row.statement_id, row.priority_id): row
            for row in Subscription.objects.filter(user=user).select_related("statement", "priority")
        }
        standing = [Subscription.Topic.MY_REPLIES, Subscription.Topic.MY_RESPONSES]
        if user.has_perm("dialogue.moderate_comment"):
            standing.append(Subscription.Topic.MODERATION)
        for topic in standing:
            row = mine.get((topic, None, None)) or Subscription(
                user=user, topic=topic, delivery=Subscription.DEFAULT_DELIVERY
            )
            self._add(f"standing-{topic}", row, Subscription.Topic(topic).label)
        for row in mine.values():
            if row.topic in Subscription.STANDING_TOPICS or row.delivery == Subscription.Delivery.OFF:
                continue
            if row.topic == Subscription.Topic.STATEMENT:
                label = gettext("Statement: %(title)s") % {"title": row.subject.title}
            else:
                label = gettext("Priority: %(title)s") % {"title": row.subject.title}
            self._add(f"{row.topic}-{row.subject.pk}", row, label)
        self.helper = FormHelper()
        self.helper.form_tag = False

    # Short, so that a drop-down list fits a 320 px phone in Spanish too.
    CHOICES = [
        (Subscription.Delivery.IMMEDIATE, _("Right away")),
        (Subscription.Delivery.DAILY, _("Once a day")),
        (Subscription.Delivery.OFF, _("Never")),
    ]

    def _add(self, name: str, row: Subscription, label) -> None:
        choices = self.CHOICES
        if row.topic == Subscription.Topic.MODERATION:
            choices = [choice for choice in choices if choice[0] != Subscription.Delivery.DAILY]
        self.fields[name] = forms.ChoiceField(label=label, choices=choices, initial=row.delivery)
        self.subscriptions[name] = row

    def changes(self):
        """(subscription, new delivery) for each choice that changed."""
        return [
            (self.subscriptions[name], self.cleaned_data[name])
            for name in self.changed_data
            if name in self.subscriptions
        ]


class AppealForm(forms.Form):
    explanation = forms.CharField(
        label=_("Why should the decision change?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("A moderator of another country reads it with your comment. You can appeal once."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class AppealDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("grant", _("Grant the appeal: publish the comment")),
            ("refuse", _("Turn the appeal down: the rejection stands")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Reason, emailed to the author"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class VerifyForm(forms.Form):
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=20)
    text = forms.CharField(
        label=_("Text to check"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=20000,
        strip=False,
        help_text=_("Paste the exact text of the comment."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.form_method = "get"


FINGERPRINT = re.compile(r"[0-9a-f]{64}")


class DecisionForm(forms.Form):
    """
    A moderator's decision on the text they were shown: `seen` carries that text's fingerprint,
    and the service refuses the decision if the comment has changed since. Rejecting or hiding
    needs a reason from the published policy.
    """

    seen = forms.RegexField(
        regex=FINGERPRINT, widget=forms.HiddenInput, error_messages={"required": TEXT_CHANGED, "invalid": TEXT_CHANGED}
    )
    reason = forms.ChoiceField(label=_("Reason (moderation policy)"), required=False, choices=[])
    note = forms.CharField(
        label=_("Note to the author (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, action=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.action = action
        self.fields["reason"].choices = [("", _("Choose a reason")), *RejectionReason.choices]
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        cleaned = super().clean()
        if reason_missing(self.action, cleaned.get("reason")):
            self.add_error("reason", forms.ValidationError(REASON_REQUIRED, code="reason"))
        return cleaned


class HideForm(DecisionForm):
    """Hiding a published comment takes it from every reader: a reason, and a deliberate confirmation."""

    confirm = forms.BooleanField(
        label=_("Yes, hide this published comment from the public"),
        error_messages={"required": _("Tick the box to confirm that this comment should be hidden from the public.")},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("action", "hide")
        super().__init__(*args, **kwargs)


class SeenCommentsField(forms.Field):
    """
    The queue's checkboxes, each "<id>:<fingerprint of the text shown>": the comments to decide,
    with the text the moderator saw of each. An id no database integer can hold is refused here.
    """

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": _("Select at least one comment."),
        "invalid": _("The selection was not understood; open the queue again."),
    }

    def to_python(self, value):
        if not value:
            return []
        if not isinstance(value, list | tuple):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        seen = {}
        for item in value:
            pk, _sep, digest = str(item).partition(":")
            if not (pk.isdigit() and int(pk) < 2**63 and FINGERPRINT.fullmatch(digest)):
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            seen[int(pk)] = digest
        return seen


class BulkDecisionForm(DecisionForm):
    """
    Approve or reject several comments: the ones ticked (`comments`), or with "all on this page"
    (`scope=page`) every one the page showed (`shown`, one hidden input per comment): no JavaScript
    needed, and each comment still carries the fingerprint of the text the moderator saw.
    """

    # Short: the field says "With the selected comments", and a drop-down list cannot wrap on a phone.
    ACTIONS = [("approve", _("Approve")), ("reject", _("Reject"))]

    bulk_action = forms.ChoiceField(label=_("With the selected comments"), choices=ACTIONS)
    comments = SeenCommentsField(label=_("Comments"), required=False)
    shown = SeenCommentsField(required=False)
    field_order = ["bulk_action", "reason", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["seen"]  # each selected comment carries its own
        self.action = self.data.get("bulk_action")
        # The comments are chosen with the queue's own checkboxes, outside this layout.
        self.helper.layout = Layout(*self.field_order)

    def clean(self):
        cleaned = super().clean()
        if self.data.get("scope") == "page":
            cleaned["comments"] = cleaned.get("shown") or {}
        if not cleaned.get("comments") and "comments" not in self.errors and "shown" not in self.errors:
            self.add_error("comments", forms.ValidationError(SeenCommentsField.default_error_messages["required"]))
        return cleaned

    def selected(self):
        """(comment, fingerprint seen) for each selected comment that exists, oldest first."""
        seen = self.cleaned_data["comments"]
        comments = Comment.objects.filter(pk__in=seen).order_by("submitted_at", "pk")
        return [(comment, seen[comment.pk]) for comment in comments]


class CampaignDecisionForm(DecisionForm):
    """
    Approve or reject, with one reason, the members of a campaign the moderator was shown: `members`
    carries each one's "<id>:<fingerprint>". Prefixed with the campaign, so that its fields and the
    queue's own bulk form can share one page.
    """

    ACTIONS = [("approve", _("Approve them all")), ("reject", _("Reject them all"))]

    action = forms.ChoiceField(label=_("Decision for the whole campaign"), choices=ACTIONS)
    members = SeenCommentsField(error_messages={"required": _("No submission of this campaign waits.")})
    field_order = ["action", "reason", "note"]

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, prefix=f"campaign-{campaign.pk}", **kwargs)
        del self.fields["seen"]  # each member carries its own
        self.action = self.data.get(self.add_prefix("action"))
        # The members are hidden inputs the page writes beside this layout.
        self.helper.layout = Layout(*self.field_order)


class ResponseForm(forms.Form):
    government = forms.ChoiceField(label=_("Responding government"), choices=[])
    body = forms.CharField(label=_("Official response"), widget=forms.Textarea(attrs={"rows": 5}), max_length=10000)
    language = forms.ChoiceField(label=_("Language of the response"), choices=settings.LANGUAGES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["government"].choices = OfficialResponse.Government.choices
        self.fields["language"].initial = get_language()
        self.helper = FormHelper()
        self.helper.form_tag = False


class QueueFilterForm(forms.Form):
    """The queue's filters; invalid values are ignored."""

    statement = forms.ModelChoiceField(
        label=_("Statement"), queryset=None, required=False, to_field_name="slug", empty_label=_("All statements")
    )
    priority = forms.ModelChoiceField(
        label=_("Priority"), queryset=None, required=False, to_field_name="slug", empty_label=_("All priorities")
    )
    language = forms.ChoiceField(label=_("Language"), required=False)
    country = forms.ChoiceField(label=_("Author's country"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["statement"].queryset = Statement.objects.published().only("slug", "title", "title_en")
        self.fields["priority"].queryset = Priority.objects.all()
        self.fields["language"].choices = [("", _("All languages")), *settings.LANGUAGES]
        self.fields["country"].choices = [("", _("All countries")), *Stakeholder.Country.choices]


class LogFilterForm(forms.Form):
    moderator = forms.ModelChoiceField(label=_("Moderator"), queryset=None, required=False, empty_label=_("Anyone"))
    action = forms.ChoiceField(label=_("Action"), required=False)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["moderator"].queryset = (
            get_user_model()
            .objects.filter(Q(groups__name="Moderators") | Q(is_superuser=True))
            .distinct()
            .select_related("stakeholder")
            .order_by("stakeholder__display_name", "pk")
        )
        self.fields["moderator"].label_from_instance = lambda user: getattr(
            getattr(user, "stakeholder", None), "display_name", user.get_username()
        )
        self.fields["action"].choices = [("", _("Any action")), *ModerationEvent.Action.choices]


class OrganisationForm(forms.ModelForm):
    """Registering an organisation; the registry identifier is checked against its country's registry format."""

    website = forms.URLField(
        label=_("Website"),
        required=False,
        max_length=300,
        assume_scheme="https",
        help_text=_("Its own website, where moderators can check who it is."),
    )

    class Meta:
        model = Organisation
        fields = ["name", "country", "sector", "website", "registry_id"]
        help_texts = {
            "name": _("As the organisation writes it. Shown with the comments its members submit on its behalf."),
            "registry_id": _(
                "Where it has one: in Canada, its Registry of Lobbyists registration number; in Mexico, its RFC; "
                "in the United States, its Lobbying Disclosure Act registrant ID."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        country = self.fields["country"]
        country.choices = [("", _("Choose its country…")), *Stakeholder.Country.choices]
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if name_controls(name):
            raise forms.ValidationError(
                _(
                    "This contains invisible characters (for example a right-to-left override or a zero-width "
                    "space). Please remove them."
                ),
                code="control_characters",
            )
        return name


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email address of the person to invite"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class OrganisationDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("verify", _("Verify the organisation")), ("decline", _("Decline it"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("What you checked (kept with the decision)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
