"""Fields published in English, French and Spanish (django-modeltranslation)."""

from modeltranslation.translator import TranslationOptions, register

from .models import (
    Directive,
    OutcomeReport,
    OutcomeTheme,
    Priority,
    ProgressNote,
    PublishingEvent,
    Statement,
    StatementVersion,
)


@register(Priority)
class PriorityTranslationOptions(TranslationOptions):
    fields = ("title", "summary")


@register(Statement)
class StatementTranslationOptions(TranslationOptions):
    fields = ("title", "summary", "body")


@register(Directive)
class DirectiveTranslationOptions(TranslationOptions):
    fields = ("text",)


@register(ProgressNote)
class ProgressNoteTranslationOptions(TranslationOptions):
    fields = ("note",)


@register(PublishingEvent)
class PublishingEventTranslationOptions(TranslationOptions):
    # A withdrawal's reason is read on the statement's address in the reader's language.
    fields = ("reason",)


@register(StatementVersion)
class StatementVersionTranslationOptions(TranslationOptions):
    # Why the text changed, read on the versions page in the reader's language.
    fields = ("change_summary",)


@register(OutcomeReport)
class OutcomeReportTranslationOptions(TranslationOptions):
    fields = ("summary",)


@register(OutcomeTheme)
class OutcomeThemeTranslationOptions(TranslationOptions):
    fields = ("title", "heard", "response")
