"""Authentication: allauth's backend reading the user and their permissions in plain SQL, and its sign-in form."""

import functools

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connections, router
from django.db.models import Exists, Expression, OuterRef, TextField

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

    Who is signed in is read with their permissions (HeldPermissions below), in one round trip:
    on PostgreSQL the second one cost a moderator's queue a tenth of its time. The query is SQL
    compiled once per process: building the ORM's query took longer than the rest of a small page
    (make bench: a signed-in reader cost six times an anonymous one on the same bare page), and
    reading the user through raw() cost as much again as the query (PrecompiledQuery).
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
            held = getattr(user_obj, HELD_PERMISSIONS, _NOT_READ)
            if user_obj.is_superuser or held is _NOT_READ:
                user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in _permissions(user_obj)}
            else:  # as read with the user (get_user): none, for most
                user_obj._perm_cache = set(held.split(",")) if held else set()
        return user_obj._perm_cache


# Read with the signed-in user, in the same query: their permissions (HeldPermissions), whether
# they belong to an organisation, whether they have set up two-factor authentication (asked on every
# official page), and whether a comment of theirs awaits moderation. The questions a page would ask
# next (which organisations; which of their comments wait here) then cost most readers no query, and
# an official's pages no second round trip, while a role, membership, authenticator or comment
# added or removed still counts from the next request.
HELD_PERMISSIONS = "held_permissions"
HAS_AUTHENTICATOR = "has_authenticator"
_NOT_READ = object()


class HeldPermissions(Expression):
    """
    The permissions the user of the query's row holds, their own and their groups', as
    "app_label.codename" joined with commas; NULL for none. Looked up only for a user who has a
    permission of their own or a group (a stakeholder has neither, and costs two index probes).
    """

    output_field = TextField()

    def as_sql(self, compiler, connection):
        q = connection.ops.quote_name
        user = f"{compiler.quote_name_unless_alias(compiler.query.base_table)}.{q(get_user_model()._meta.pk.column)}"
        names, own, groups = _permissions_sql(connection, user=user)
        joined = "string_agg" if connection.vendor == "postgresql" else "group_concat"
        return (
            f"CASE WHEN EXISTS ({own}) OR EXISTS ({groups}) "  # noqa: S608 - names from the models' metadata
            f"THEN (SELECT {joined}(held.app_label || '.' || held.codename, ',') FROM ({names}) AS held) END",
            [],
        )


@functools.cache
def _user_query() -> PrecompiledQuery:
    """The signed-in user, by id: compiled once per process (the models are loaded by the first request)."""
    User = get_user_model()
    return PrecompiledQuery(
        User,
        lambda user: User._default_manager.filter(pk=user).annotate(
            **{
                HELD_PERMISSIONS: HeldPermissions(),
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
    if user.is_superuser:
        sql, params = _permissions_sql(connection)[0], []
    else:
        sql, params = _permissions_sql(connection, user="%s")[0], [user.pk, user.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _permissions_sql(connection, *, user: str | None = None) -> tuple[str, str, str]:
    """
    SQL of the (app_label, codename) of the permissions `user` (SQL: a column or a placeholder)
    holds, and of their own permissions' and their groups' rows; every permission without a user.
    Names from the models' metadata, quoted.
    """
    q = connection.ops.quote_name
    User = get_user_model()
    own = User._meta.get_field("user_permissions").remote_field.through._meta
    member = User._meta.get_field("groups").remote_field.through._meta
    granted = Group._meta.get_field("permissions").remote_field.through._meta

    def column(meta, name):
        return q(meta.get_field(name).column)

    names = (
        f"SELECT ct.{q('app_label')} AS app_label, p.{q('codename')} AS codename "  # noqa: S608
        f"FROM {q(Permission._meta.db_table)} p "
        f"JOIN {q(ContentType._meta.db_table)} ct ON ct.{q('id')} = p.{column(Permission._meta, 'content_type')}"
    )
    if user is None:
        return names, "", ""
    mine = f"SELECT {column(own, 'permission')} FROM {q(own.db_table)} WHERE {column(own, 'user')} = {user}"  # noqa: S608
    groups = (
        f"SELECT g.{column(granted, 'permission')} FROM {q(granted.db_table)} g "  # noqa: S608
        f"JOIN {q(member.db_table)} m ON m.{column(member, 'group')} = g.{column(granted, 'group')} "
        f"WHERE m.{column(member, 'user')} = {user}"
    )
    names += f" WHERE p.{q('id')} IN ({mine}) OR p.{q('id')} IN ({groups})"
    in_a_group = f"SELECT 1 FROM {q(member.db_table)} WHERE {column(member, 'user')} = {user}"  # noqa: S608
    return names, mine, in_a_group


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
