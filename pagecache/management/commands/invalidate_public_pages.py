"""
Drop every cached public page and shared fragment: `manage.py invalidate_public_pages`.

Why it exists: the page cache (Redis, or the file cache) outlives what it was rendered from. After a
restore, a release, or data changed behind the portal's back (SQL by hand), pages would otherwise be
served as they were for up to PUBLIC_PAGE_CACHE_SECONDS. It starts a new cache generation, which
every app server sharing the cache sees at once; nothing else in the cache (sessions, rate limits)
is touched.
"""

from django.core.management.base import BaseCommand

from pagecache.cache import invalidate_public_pages


class Command(BaseCommand):
    help = "Drop every cached public page and shared fragment (after a restore or a release)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Say what would be dropped; drop nothing.")

    def handle(self, *args, dry_run, verbosity, **options):
        if dry_run:
            self.stdout.write("Would start a new public page generation (every cached page and fragment dropped).")
            return
        invalidate_public_pages()
        if verbosity:
            self.stdout.write("Cached public pages dropped: a new generation starts with the next request.")
