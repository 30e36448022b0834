"""Names of the portal's languages as they read inside a sentence.

Django's language names are capitalised for menus ("Anglais", "Inglés"), but French and Spanish
write a language in lower case inside a sentence: "publiée en anglais", "publicada en inglés".
"""

from django.utils.translation import pgettext


def language_in_sentence(code: str) -> str:
    """The name of language `code` in the active language, as written inside a sentence."""
    names = {
        "en": pgettext("language name inside a sentence", "English"),
        "fr": pgettext("language name inside a sentence", "French"),
        "es": pgettext("language name inside a sentence", "Spanish"),
    }
    return names.get(code, code)
