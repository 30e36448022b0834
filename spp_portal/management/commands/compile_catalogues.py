"""
Compile the portal's French and Spanish catalogues (locale/*/LC_MESSAGES/*.po) into .mo files.

Why it exists: the .mo files are build output, not committed (.gitignore), so `make run`,
`make test` and `make serve` build them. Django's `compilemessages` needs GNU gettext's `msgfmt`,
which a machine with only Python lacks: there the catalogues are compiled with polib (pinned in
requirements.txt) instead. Either way only the project's own catalogues (LOCALE_PATHS) are
compiled, never the ones inside installed packages, and a .mo newer than its .po is left alone.
"""

import shutil
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

IGNORED = [".venv", "staticfiles", "var", "test-results", "node_modules"]


class Command(BaseCommand):
    help = "Compile locale/*/LC_MESSAGES/*.po into .mo (msgfmt when installed, polib otherwise)."

    def add_arguments(self, parser):
        parser.add_argument("--pure-python", action="store_true", help="Use polib even when msgfmt is installed.")
        parser.add_argument("--force", action="store_true", help="Compile even catalogues that are up to date.")

    def handle(self, *args, pure_python=False, force=False, verbosity=1, **options):
        catalogues = sorted(
            po for locale_dir in settings.LOCALE_PATHS for po in Path(locale_dir).glob("*/LC_MESSAGES/*.po")
        )
        stale = [po for po in catalogues if force or self.is_stale(po)]
        if not stale:
            if verbosity >= 2:
                self.stdout.write("catalogues up to date")
            return
        if shutil.which("msgfmt") and not pure_python:
            # msgfmt also checks placeholders and plural forms (--check-format). compilemessages walks
            # the current directory for locale dirs: keep it out of the virtualenv and build output.
            languages = sorted({po.parent.parent.name for po in stale})
            call_command("compilemessages", locale=languages, ignore_patterns=IGNORED, verbosity=verbosity)
            return
        try:
            import polib
        except ImportError as error:
            raise CommandError("Neither msgfmt (Debian: apt-get install gettext) nor polib is installed.") from error
        for po in stale:
            polib.pofile(str(po)).save_as_mofile(str(po.with_suffix(".mo")))
            if verbosity >= 1:
                self.stdout.write(f"compiled {po} with polib")

    @staticmethod
    def is_stale(po: Path) -> bool:
        mo = po.with_suffix(".mo")
        return not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime
