"""Stakeholders' pages: profile, my data, account deletion (comments and receipts follow)."""

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from . import services
from .adapter import ensure_stakeholder
from .forms import DeleteAccountForm, ProfileForm
from .personal_data import personal_data


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    """The public profile shown beside comments, and the language of the portal's email."""
    form = ProfileForm(request.POST or None, instance=ensure_stakeholder(request.user))
    if form.is_valid():
        form.save()
        messages.success(request, _("Your profile has been saved."))
        return redirect("dialogue:profile")
    return render(request, "dialogue/profile.html", {"form": form})


@login_required
@require_GET
def my_data(request):
    return render(request, "dialogue/my_data.html", {"delete_form": DeleteAccountForm(user=request.user)})


@login_required
@require_GET
def my_data_export(request):
    """Download everything the portal holds about me, as JSON."""
    data = json.dumps(personal_data(request.user), indent=2, ensure_ascii=False)
    response = HttpResponse(data, content_type="application/json; charset=utf-8")
    filename = f"north-american-dialogue-my-data-{timezone.now():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["POST"])
def account_delete(request):
    """Erase my account after I re-enter my password; published comments stay, anonymised."""
    form = DeleteAccountForm(request.POST, user=request.user)
    if not form.is_valid():
        return render(request, "dialogue/my_data.html", {"delete_form": form}, status=400)
    services.account_delete(user=request.user)
    logout(request)
    messages.success(request, _("Your account and personal data have been deleted."))
    return redirect("home")
