"""Organisations' pages: register one, its members and invitations, accepting an invitation, and the
moderators' verification. The workflows are dialogue.organisations'; these views stay thin."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safeguards.ratelimit import rate_limit

from . import organisations
from .forms import InvitationForm, OrganisationDecisionForm, OrganisationForm
from .models import Invitation, Membership, Organisation, OrganisationInterest
from .moderation import requires
from .services import DialogueError


@login_required
@require_GET
def organisation_list(request):
    """The organisations I belong to, and the way to register one."""
    memberships = (
        Membership.objects.filter(user=request.user).select_related("organisation").order_by("organisation__name")
    )
    return render(request, "dialogue/organisations/list.html", {"memberships": memberships})


@login_required
@require_http_methods(["GET", "POST"])
@rate_limit("organisation", "ORGANISATION_RATE_LIMIT", per_user=True, methods=("POST",))
def organisation_register(request):
    """Register an organisation: its registrant becomes its administrator; a moderator verifies it."""
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = organisations.organisation_register(user=request.user, **form.cleaned_data)
        except DialogueError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("The organisation is registered. A moderator will verify it; you can invite its members now."),
            )
            return redirect(organisation)
    return render(request, "dialogue/organisations/register.html", {"form": form}, status=400 if form.errors else 200)


def _membership(request, pk) -> Membership:
    """The signed-in person's membership of organisation `pk`; anyone else gets 404, as if it did not exist."""
    membership = Membership.objects.filter(organisation_id=pk, user=request.user).select_related("organisation").first()
    if membership is None:
        raise Http404
    return membership


def _render_detail(request, membership, *, invite_form=None, status=200):
    organisation = membership.organisation
    context = {
        "organisation": organisation,
        "membership": membership,
        "members": organisation.memberships.select_related("user__stakeholder").order_by("-is_admin", "joined_at"),
        "invite_form": invite_form or InvitationForm(),
        "invitations": organisation.invitations.filter(accepted_at__isnull=True)[:20] if membership.is_admin else [],
    }
    return render(request, "dialogue/organisations/detail.html", context, status=status)


@login_required
@require_GET
def organisation_detail(request, pk):
    """An organisation as its members see it: its state, its members; an administrator invites and removes."""
    return _render_detail(request, _membership(request, pk))


@login_required
@require_POST
@rate_limit("invitation", "INVITATION_RATE_LIMIT", per_user=True, methods=("POST",))
def organisation_invite(request, pk):
    membership = _membership(request, pk)
    if not membership.is_admin:
        raise PermissionDenied
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            organisations.invitation_send(
                organisation=membership.organisation, inviter=request.user, email=form.cleaned_data["email"]
            )
        except DialogueError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("The invitation is sent to %(email)s. It can be accepted for %(days)d days.")
                % {"email": form.cleaned_data["email"], "days": settings.ORGANISATION_INVITATION_DAYS},
            )
            return redirect(membership.organisation)
    return _render_detail(request, membership, invite_form=form, status=400)


@login_required
@require_POST
def organisation_member_end(request, pk, member):
    """Leave the organisation (one's own membership) or, as its administrator, remove a member."""
    mine = _membership(request, pk)
    membership = get_object_or_404(Membership, pk=member, organisation_id=pk)
    try:
        organisations.membership_end(membership=membership, actor=request.user)
    except DialogueError as error:
        messages.error(request, error.message)
        return redirect(mine.organisation)
    if membership.user_id == request.user.pk:
        messages.success(
            request, _("You have left the organisation. Your comments already submitted stay as they are.")
        )
        return redirect("dialogue:organisation-list")
    messages.success(request, _("The member is removed. Their comments already submitted stay as they are."))
    return redirect(mine.organisation)


@login_required
@require_POST
def organisation_member_admin(request, pk, member):
    mine = _membership(request, pk)
    membership = get_object_or_404(Membership, pk=member, organisation_id=pk)
    try:
        organisations.membership_make_admin(membership=membership, actor=request.user)
    except DialogueError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The member is now an administrator of the organisation."))
    return redirect(mine.organisation)


@login_required
@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    """The invitee, signed in, sees whose invitation it is and accepts it."""
    invitation = get_object_or_404(Invitation.objects.select_related("organisation"), token=token[:64])
    error = None
    if request.method == "POST":
        try:
            organisations.invitation_accept(invitation=invitation, user=request.user)
        except DialogueError as refusal:
            error = refusal.message
        else:
            messages.success(request, _("You are now a member of %(name)s.") % {"name": invitation.organisation.name})
            return redirect(invitation.organisation)
    return render(
        request,
        "dialogue/organisations/invitation.html",
        {"invitation": invitation, "error": error},
        status=400 if error else 200,
    )


@requires("dialogue.verify_organisation")
@require_http_methods(["GET", "POST"])
def moderation_organisations(request):
    """Organisations waiting for verification, oldest first, each with what a moderator checks; the latest
    decisions below with their notes. A moderator who belongs to one sees why they cannot decide it."""
    form = None
    if request.method == "POST":
        number = request.POST.get("organisation", "")
        if not number.isdigit() or int(number) >= 2**63:
            raise Http404
        organisation = get_object_or_404(Organisation, pk=number)
        form = OrganisationDecisionForm(request.POST, prefix=f"organisation-{organisation.pk}")
        if form.is_valid():
            try:
                organisations.organisation_decide(
                    organisation=organisation,
                    moderator=request.user,
                    verify=form.cleaned_data["decision"] == "verify",
                    note=form.cleaned_data["note"],
                )
            except DialogueError as error:
                messages.error(request, error.message)
            else:
                messages.success(
                    request,
                    _("%(name)s is verified.") % {"name": organisation.name}
                    if form.cleaned_data["decision"] == "verify"
                    else _("%(name)s is declined.") % {"name": organisation.name},
                )
                return redirect("dialogue:moderation-organisations")
    mine = OrganisationInterest.of(request.user).organisations
    waiting = list(Organisation.objects.pending().order_by("created_at", "pk"))
    for organisation in waiting:
        organisation.own = organisation.pk in mine
        organisation.form = (
            form
            if form is not None and form.prefix == f"organisation-{organisation.pk}"
            else OrganisationDecisionForm(prefix=f"organisation-{organisation.pk}")
        )
    decided = Organisation.objects.exclude(status=Organisation.Status.PENDING).order_by("-decided_at", "-pk")[:20]
    return render(
        request,
        "dialogue/moderation/organisations.html",
        {"section": "organisations", "waiting": waiting, "decided": decided},
        status=400 if form is not None and form.errors else 200,
    )
