from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from dialogue.text import clean_body, invisible_controls


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the new key"),
        max_length=100,
        help_text=_("For you to recognise it, such as the program that will use it."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_name(self):
        name = clean_body(self.cleaned_data["name"]).strip()
        if not name:
            raise forms.ValidationError(_("Give the key a name."))
        if invisible_controls(name):
            raise forms.ValidationError(_("The name contains invisible control characters; remove them."))
        return name
