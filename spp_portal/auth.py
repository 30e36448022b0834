"""Authentication: allauth's backend reading the user and their permissions in plain SQL, and its sign-in form."""

import functools

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connections, router
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q

from dialogue.models import HAS_PENDING, IS_MEMBER, Comment, Membership
from dialogue.precompiled import PrecompiledQuery
from dialogue.roles import is_official


class AuthenticationBackend(AllauthBackend):
    """
    Every signed-in page asks one permission question or more (the navigation shows the
    moderation queue to moderators; statement pages let publishers preview drafts). Django's
    ModelBackend answers by reading the user's own and their groups' permissions in two
    queries; this reads both at once. The answer is kept on the user object for the request,
    exactly as ModelBackend does, so a role granted or revoked counts from the next request.

    Who is signed in is read with what the next questions need (MAY_HOLD_PERMISSIONS below): a
    stakeholder's permissions then cost no query at all. Both questions are
    SQL compiled once per process here: building the ORM's query took longer than the rest of a
    small page (make bench: a signed-in reader cost six times an anonymous one on the same bare
    page), and reading the user through raw() cost as much again as the query (PrecompiledQuery).
    """

    def get_user(self, user_id):
        User = get_user_model()
        try:
            pk = User._meta.pk.to_python(user_id)
        except Exception:
            return None
        user = next(iter(_user_query().objects(user=pk)), None)
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser or getattr(user_obj, MAY_HOLD_PERMISSIONS, True):
                user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in _permissions(user_obj)}
            else:  # no permission of their own and in no group, as read with the user (get_user)
                user_obj._perm_cache = set()
        return user_obj._perm_cache


# Read with the signed-in user, in the same query: whether they may hold a permission (one of their
# own, or a group: a stakeholder has neither), whether they belong to an organisation, whether
# they have set up two-factor authentication (asked on every official page), and whether a comment
# of theirs awaits moderation. The questions a page would ask next (which permissions; which
# organisations; which of their comments wait here) then cost most readers no query, while a role,
# membership, authenticator or comment added or removed still counts from the next request.
MAY_HOLD_PERMISSIONS = "may_hold_permissions"
HAS_AUTHENTICATOR = "has_authenticator"


@functools.cache
def _user_query() -> PrecompiledQuery:
    """The signed-in user, by id: compiled once per process (the models are loaded by the first request)."""
    User = get_user_model()
    own = User._meta.get_field("user_permissions").remote_field.through
    member = User._meta.get_field("groups").remote_field.through
    return PrecompiledQuery(
        User,
        lambda user: User._default_manager.filter(pk=user).annotate(
            **{
                MAY_HOLD_PERMISSIONS: ExpressionWrapper(
                    Q(Exists(own.objects.filter(user=OuterRef("pk"))))
                    | Q(Exists(member.objects.filter(user=OuterRef("pk")))),
                    output_field=BooleanField(),
                ),
                IS_MEMBER: Exists(Membership.objects.filter(user=OuterRef("pk"))),
                HAS_AUTHENTICATOR: Exists(Authenticator.objects.filter(user=OuterRef("pk"))),
                HAS_PENDING: Exists(Comment.objects.pending().filter(author=OuterRef("pk"))),
            }
        ),
        "user",
    )


def _permissions(user) -> list[tuple[str, str]]:
    """(app label, codename) of every permission the user holds, their own or a group's (all: a superuser)."""
    connection = connections[router.db_for_read(Permission)]
    q = connection.ops.quote_name
    own = type(user)._meta.get_field("user_permissions").remote_field.through._meta
    member = type(user)._meta.get_field("groups").remote_field.through._meta
    granted = Group._meta.get_field("permissions").remote_field.through._meta

    def column(meta, name):
        return q(meta.get_field(name).column)

    # Names from the models' metadata, quoted; the user's id is a parameter.
    sql = (
        f"SELECT ct.{q('app_label')}, p.{q('codename')} FROM {q(Permission._meta.db_table)} p "  # noqa: S608
        f"JOIN {q(ContentType._meta.db_table)} ct ON ct.{q('id')} = p.{column(Permission._meta, 'content_type')}"
    )
    params = []
    if not user.is_superuser:
        mine = f"SELECT {column(own, 'permission')} FROM {q(own.db_table)} WHERE {column(own, 'user')} = %s"  # noqa: S608
        groups = (
            f"SELECT g.{column(granted, 'permission')} FROM {q(granted.db_table)} g "  # noqa: S608
            f"JOIN {q(member.db_table)} m ON m.{column(member, 'group')} = g.{column(granted, 'group')} "
            f"WHERE m.{column(member, 'user')} = %s"
        )
        sql += f" WHERE p.{q('id')} IN ({mine}) OR p.{q('id')} IN ({groups})"
        params = [user.pk, user.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


class LoginForm(AllauthLoginForm):
    """
    allauth's sign-in form, except that an official's session is never remembered: it ends when
    the browser closes, whatever the "remember me" box says (and OfficialSessionMiddleware ends
    it after a spell of inactivity). A remembered official's session on a shared computer is
    someone else's moderation queue.
    """

    def login(self, request, redirect_url=None):
        response = super().login(request, redirect_url)
        if is_official(self.user):
            # The session as it is now: after two-factor authentication the same session (its
            # key cycled, its expiry kept) becomes the signed-in one.
            request.session.set_expiry(0)
        return response
