"""Fields published in English, French and Spanish (django-modeltranslation)."""

from modeltranslation.translator import TranslationOptions, register

from .models import Directive, OutcomeReport, OutcomeTheme, Priority, ProgressNote, PublishingEvent, Statement


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


@register(OutcomeReport)
class OutcomeReportTranslationOptions(TranslationOptions):
    fields = ("summary",)


@register(OutcomeTheme)
class OutcomeThemeTranslationOptions(TranslationOptions):
    fields = ("title", "heard", "response")
