from django.utils.functional import SimpleLazyObject

from .moderation import moderation_counts


def moderation(request):
    """How much waits, for moderators' navigation; counted only if a template asks."""

    def counts():
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.has_perm("dialogue.moderate_comment"):
            return {}
        return moderation_counts()

    return {"moderation_counts": SimpleLazyObject(counts)}
