from django.core.management.base import BaseCommand

from dialogue.bulk import write_dump
from pagecache.cache import invalidate_public_pages


class Command(BaseCommand):
    help = (
        "Write the bulk open-data dump (every published comment, CSV and JSON Lines, gzip, with a manifest) "
        "to the default storage and make it the latest one (for cron)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--chunk", type=int, default=2000, help="comments read per query (default 2000)")

    def handle(self, *args, chunk, **options):
        manifest = write_dump(chunk=chunk)
        # The open-data page links the latest dump: pages that declare no tags (it is one) start afresh.
        invalidate_public_pages(tags=[])
        for file in manifest["files"]:
            self.stdout.write(
                f"{file['path']}: {file['records']:,} comments, {file['bytes']:,} bytes, sha256 {file['sha256']}"
            )
        summary = f"Dump of {manifest['comments']:,} comments is the latest: {manifest['folder']}"
        self.stdout.write(self.style.SUCCESS(summary))
