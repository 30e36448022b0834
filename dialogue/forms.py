"""Forms of the conversation: the stakeholder profile (at sign-up and later)."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms
from django.conf import settings
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .models import Stakeholder

PROFILE_FIELDS = ["display_name", "country", "sector", "organisation", "preferred_language"]


class SignupForm(forms.ModelForm):
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

    def signup(self, request, user):
        Stakeholder.objects.update_or_create(
            user=user,
            defaults={
                **{field: self.cleaned_data[field] for field in PROFILE_FIELDS},
                "terms_version": settings.TERMS_VERSION,
                "terms_accepted_at": timezone.now(),
            },
        )


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Stakeholder
        fields = PROFILE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


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


class CommentTextForm(forms.Form):
    """The text of a comment: plain, 10 to 5,000 characters, no invisible control characters."""

    MIN_LENGTH = 10
    MAX_LENGTH = 5000

    body = forms.CharField(
        label=_("Your comment"),
        widget=forms.Textarea(attrs={"rows": 7, "maxlength": MAX_LENGTH}),
        help_text=_(
            "Plain text, 10 to 5,000 characters. Blank lines separate paragraphs; web addresses become links. "
            "It will be published after a moderator has reviewed it."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_body(self):
        from .services import clean_body, invisible_controls

        body = clean_body(self.cleaned_data["body"])
        if len(body) < self.MIN_LENGTH:
            raise forms.ValidationError(
                _("Your comment must be at least %(min)d characters long (it has %(count)d)."),
                code="too_short",
                params={"min": self.MIN_LENGTH, "count": len(body)},
            )
        if len(body) > self.MAX_LENGTH:
            raise forms.ValidationError(
                _("Your comment can be at most 5,000 characters long (it has %(count)s)."),
                code="too_long",
                params={"count": len(body)},
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


class CommentForm(CommentTextForm):
    """A comment on a statement (as a whole, one of its priorities or one of its directives), or a reply."""

    about = forms.ChoiceField(label=_("What is your comment about?"), required=False)
    language = forms.ChoiceField(label=_("Language of your comment"), choices=settings.LANGUAGES)
    field_order = ["about", "body", "language"]

    def __init__(self, *args, statement, reply=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.statement = statement
        self.fields["language"].initial = get_language()
        if reply:
            del self.fields["about"]
        else:
            self.fields["about"].choices = about_choices(statement)

    def clean_about(self):
        """{"directive": d} or {"priority": p}, or {} for the statement as a whole."""
        value = self.cleaned_data.get("about") or ""
        kind, _sep, pk = value.partition(":")
        if kind == "directive":
            return {"directive": self.statement.directives.get(pk=pk)}
        if kind == "priority":
            return {"priority": self.statement.priorities.get(pk=pk)}
        return {}


def about_choices(statement):
    choices = [("", _("The statement as a whole"))]
    priorities = [(f"priority:{p.pk}", p.title) for p in statement.priorities.all()]
    if priorities:
        choices.append((_("A priority it addresses"), priorities))
    directives = [
        (f"directive:{d.pk}", f"{d.priority.title}: {d.text[:90]}{'…' if len(d.text) > 90 else ''}")
        for d in statement.directives.select_related("priority")
    ]
    if directives:
        choices.append((_("One of its directives"), directives))
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
        from .models import RejectionReason

        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = RejectionReason.choices
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


class DecisionForm(forms.Form):
    """A moderator's decision; rejecting or hiding needs a reason from the published policy."""

    reason = forms.ChoiceField(label=_("Reason (moderation policy)"), required=False, choices=[])
    note = forms.CharField(
        label=_("Note to the author (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, action=None, **kwargs):
        from .models import RejectionReason

        super().__init__(*args, **kwargs)
        self.action = action
        self.fields["reason"].choices = [("", _("Choose a reason")), *RejectionReason.choices]
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        cleaned = super().clean()
        if self.action in {"reject", "hide"} and not cleaned.get("reason"):
            self.add_error("reason", forms.ValidationError(_("Choose the rule this comment breaks."), code="reason"))
        return cleaned


class CommentIdsField(forms.ModelMultipleChoiceField):
    """The queue's checkboxes: a number no database integer can hold is refused, not sent to the database."""

    def _check_values(self, value):
        for pk in value:
            try:
                number = int(pk)
            except (TypeError, ValueError):
                continue  # the parent refuses it with its own message
            if not -(2**63) <= number < 2**63:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)


class BulkDecisionForm(DecisionForm):
    # Short: the field says "With the selected comments", and a drop-down list cannot wrap on a phone.
    ACTIONS = [("approve", _("Approve")), ("reject", _("Reject"))]

    bulk_action = forms.ChoiceField(label=_("With the selected comments"), choices=ACTIONS)
    comments = CommentIdsField(label=_("Comments"), queryset=None, required=True)
    field_order = ["bulk_action", "reason", "note"]

    def __init__(self, *args, **kwargs):
        from .models import Comment

        super().__init__(*args, **kwargs)
        self.fields["comments"].queryset = Comment.objects.all()
        self.fields["comments"].error_messages["required"] = _("Select at least one comment.")
        self.action = self.data.get("bulk_action")
        # The comments are chosen with the queue's own checkboxes: rendered, this field would
        # be a <select> of every comment in the database (seconds per page at 10,000 pending).
        self.helper.layout = Layout(*self.field_order)


class ResponseForm(forms.Form):
    government = forms.ChoiceField(label=_("Responding government"), choices=[])
    body = forms.CharField(label=_("Official response"), widget=forms.Textarea(attrs={"rows": 5}), max_length=10000)
    language = forms.ChoiceField(label=_("Language of the response"), choices=settings.LANGUAGES)

    def __init__(self, *args, **kwargs):
        from .models import OfficialResponse

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
        from priorities.models import Priority, Statement

        from .models import Stakeholder

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
        from django.contrib.auth import get_user_model
        from django.db.models import Q

        from .models import ModerationEvent

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
