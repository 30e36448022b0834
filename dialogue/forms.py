"""Forms of the conversation: the stakeholder profile (at sign-up and later)."""

from crispy_forms.helper import FormHelper
from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .models import Stakeholder

PROFILE_FIELDS = ["display_name", "country", "sector", "organisation", "preferred_language"]


class SignupForm(forms.ModelForm):
    """allauth's ACCOUNT_SIGNUP_FORM_CLASS: the profile and consent, collected with the email and password."""

    accept_terms = forms.BooleanField(
        label=_("I have read and accept the terms of participation and the privacy notice."),
        error_messages={"required": _("You must accept the terms of participation to take part.")},
    )

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
