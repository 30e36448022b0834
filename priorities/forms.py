import functools

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Priority, Statement


def statement_years():
    years = Statement.objects.published().dates("release_date", "year", order="DESC")
    return [("", _("Any year"))] + [(d.year, d.year) for d in years]


class StatementFilterForm(forms.Form):
    """The archive's filters. Invalid values are ignored rather than shown as errors."""

    priority = forms.ModelChoiceField(
        label=_("Priority"),
        queryset=Priority.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label=_("Any priority"),
    )
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read when the field is rendered or a year is to be checked, not for every form built: the
        # search page renders its filters once per cache generation (spp_portal/search.py).
        self.fields["year"].choices = functools.cache(statement_years)  # read once per form
