"""
Peak memory of the open-data export of a statement with 100,000 approved comments.

Not a test: a measurement, run by hand and recorded in the README (issue 7 asks for a peak
under 200 MB). It

1. prepares its own database (SQLite in var/export-memory/, never db.sqlite3; or the
   PostgreSQL database named by DATABASE_URL, created if missing): migrate, `seed_demo
   --statements 1`, then the demo CommentSeeder adds N approved comments (with replies) to
   demo-statement-0001, and an official response to every 10th one;
2. in a fresh process with production settings (DJANGO_DEBUG=0), requests the CSV and the
   JSON downloads through Django's test client and reads each streamed response to the end,
   as a client would, without keeping it;
3. prints, per format: rows, bytes, seconds, SQL queries, the Python heap's peak while
   streaming (tracemalloc) and the whole process's peak resident memory (ru_maxrss), which
   includes Django itself.

    python -m tools.export_memory                       # SQLite, 100,000 comments
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/spp_export python -m tools.export_memory
    python -m tools.export_memory --comments 20000      # quicker
    python -m tools.export_memory --dump                # the bulk dump of 1,000,000 comments instead

With `--dump` (issue 16) it seeds its own database (var/export-memory/dump.sqlite3, or
DATABASE_URL) with 1,000,000 approved comments by default, then, in a fresh process with
production settings, runs `manage.py dump_open_data`'s writer (dialogue/bulk.py) into a storage
folder in var/export-memory/media/ and prints the comments, the compressed sizes, the seconds and
the process's peak resident memory (no tracemalloc: it would slow a million rows several times).
"""

import argparse
import json
import os
import resource
import secrets
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK_DIR = ROOT / "var" / "export-memory"
STATEMENT = "demo-statement-0001"
LIMIT_MB = 200


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", type=int, default=100_000, help="approved comments on the statement")
    parser.add_argument("--dump", action="store_true", help="measure the bulk dump (1,000,000 comments by default)")
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.dump and "--comments" not in sys.argv:
        options.comments = 1_000_000
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    database_file = "dump.sqlite3" if options.dump else "export.sqlite3"
    database_url = os.environ.get("DATABASE_URL", "").strip() or f"sqlite:///{WORK_DIR / database_file}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "testserver,localhost",
        "PORTAL_URL": "http://testserver",
        "DJANGO_HTTPS": "0",
        "DJANGO_CACHE_DIR": str(WORK_DIR / "cache"),
        "DJANGO_LOG_LEVEL": "WARNING",
        # Seeding 100,000 comments takes longer than a request's statement may.
        "DATABASE_STATEMENT_TIMEOUT": "0",
        "DJANGO_MEDIA_ROOT": str(WORK_DIR / "media"),
    }
    if options.measure_only:
        return measure()
    if database_url.startswith("postgres"):
        from tools.bench import create_postgres_database

        create_postgres_database(database_url)
    mode = ["--dump"] if options.dump else []
    subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "tools.export_memory", "--comments", str(options.comments), "--measure-only", *mode],
        env={**env, "DJANGO_DEBUG": "1", "SPP_EXPORT_SEED_ONLY": "1"},
        check=True,
        cwd=ROOT,
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "tools.export_memory", "--comments", str(options.comments), "--measure-only", *mode],
        env={**env, "DJANGO_DEBUG": "0"},
        check=True,
        cwd=ROOT,
    )
    return result.returncode


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spp_portal.settings")
    import django

    django.setup()


def seed(count: int) -> None:
    from django.core.management import call_command

    from dialogue.demo import CommentSeeder
    from dialogue.models import Comment, OfficialResponse
    from priorities.models import Statement

    call_command("migrate", "--noinput", verbosity=0)
    call_command("seed_demo", statements=1, verbosity=0)
    statement = Statement.objects.get(slug=STATEMENT)
    approved = Comment.objects.approved().filter(statement=statement)
    missing = count - approved.count()
    if missing > 0:
        # The seeder skips the rare tracking number it generates twice: ask for a few more.
        # In batches of 100,000: the seeder looks its tracking numbers up in one query, and SQLite
        # refuses a query with a million parameters.
        seeder, total = CommentSeeder(statement, print), missing + missing // 1000 + 1
        for start in range(0, total, 100_000):
            seeder.seed(min(100_000, total - start), 0, kind="approved")
        pks = list(approved.order_by("pk").values_list("pk", flat=True)[::10])
        OfficialResponse.objects.bulk_create(
            [
                OfficialResponse(comment_id=pk, government="joint", body="Thank you; see our report.", language="en")
                for pk in pks
            ],
            batch_size=2000,
        )
    print(f"{approved.count():,} approved comments on {STATEMENT}.")


def measure() -> int:
    _setup()
    if os.environ.get("SPP_EXPORT_SEED_ONLY"):
        seed(int(sys.argv[sys.argv.index("--comments") + 1]))
        return 0
    if "--dump" in sys.argv:
        return measure_dump()
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from dialogue.models import Comment

    rows = Comment.objects.approved().filter(statement__slug=STATEMENT).count()
    client = Client()
    client.get("/healthz")  # warm up: URL resolver, middleware, database connection
    print(f"Open-data export of {rows:,} approved comments ({connection.vendor}), read to the end as streamed:")
    print(f"{'format':<6} {'bytes':>13} {'seconds':>8} {'queries':>8} {'heap peak MB':>13} {'process peak RSS MB':>20}")
    worst = 0.0
    for fmt in ("csv", "json"):
        reset_queries()
        tracemalloc.start()
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/en/open-data/statements/{STATEMENT}/comments.{fmt}")
            if not response.streaming:
                raise SystemExit("The export must stream.")
            size = 0
            last = b""
            for chunk in response.streaming_content:
                size += len(chunk)
                last = chunk
            response.close()
        elapsed = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        if fmt == "json" and not last.endswith(b"]}\n"):
            raise SystemExit("The JSON export ended early.")
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
        worst = max(worst, rss_mb)
        print(f"{fmt:<6} {size:>13,} {elapsed:>8.1f} {len(queries):>8} {peak / 2**20:>13.1f} {rss_mb:>20.1f}")
    verdict = "met" if worst < LIMIT_MB else "NOT met"
    print(f"Target: peak resident memory under {LIMIT_MB} MB for the whole process: {verdict}.")
    print(json.dumps({"rows": rows, "peak_rss_mb": round(worst, 1)}))
    return 0 if worst < LIMIT_MB else 1


def measure_dump() -> int:
    """The bulk dump of every published comment (dialogue/bulk.py), timed, with the process's peak memory."""
    from django.db import connection

    from dialogue.bulk import write_dump

    started = time.perf_counter()
    manifest = write_dump()
    elapsed = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    sizes = ", ".join(f"{file['name']} {file['bytes']:,} bytes" for file in manifest["files"])
    print(f"Bulk dump of {manifest['comments']:,} published comments ({connection.vendor}): {sizes}")
    print(f"seconds {elapsed:.1f}, process peak RSS {rss_mb:.1f} MB")
    verdict = "met" if rss_mb < LIMIT_MB else "NOT met"
    print(f"Target: peak resident memory under {LIMIT_MB} MB for the whole process: {verdict}.")
    print(json.dumps({"comments": manifest["comments"], "seconds": round(elapsed, 1), "peak_rss_mb": round(rss_mb, 1)}))
    return 0 if rss_mb < LIMIT_MB else 1


if __name__ == "__main__":
    sys.exit(main())
