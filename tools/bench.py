"""
`make bench`: how fast the portal's pages are under load, against this machine's ceiling.

Not a test: a measurement, run by hand and recorded in the README. It

1. prepares its own database (SQLite in var/bench/, never db.sqlite3; or the PostgreSQL
   database named by DATABASE_URL, created if missing): migrate, then `seed_demo`, which
   runs only with DJANGO_DEBUG=1;
2. serves it the production way: gunicorn with 2 workers on a free port of 127.0.0.1,
   DJANGO_DEBUG=0, a secret key generated for the run, the cache of a real deployment
   (REDIS_URL if set, otherwise a file cache in var/bench/), and SPP_BENCHMARK=1, which adds
   the ceiling page: a bare Django template through the same middleware;
3. drives each page with wrk from a separate process (a short warm-up, then the measured run),
   counts the page's SQL queries on a cold and on a warm cache, and reads each worker's
   resident memory from /proc after the run;
4. prints one table: requests/s, p50 and p99 latency, ratio to the ceiling, target, queries.

Each page is one entry of PAGES, measured anonymously or signed in as a seed_demo account
(a session saved where the servers find it; the moderator is given an authenticator, as the
queue requires MFA). The data: 1,000 approved comments in threads and 10,000 pending on the
2008 statement, and 100,000 approved comments on EXPORT_STATEMENT, whose open-data CSV export
is downloaded once at the end while each worker's resident memory is sampled every 20 ms.
A page still being built (optional, answering 404) is skipped with a note; a page that fails
is reported and the rest still measured (exit status 1).

    make bench                                                          # SQLite
    make bench DATABASE_URL=postgres://postgres@127.0.0.1:5432/spp_bench  # PostgreSQL
"""

import argparse
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
SEED_STATEMENT = "2008-02-28-joint-statement-los-cabos"


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    target: float | None = None  # the minimum throughput, as a ratio of the ceiling
    signed_in_as: str | None = None  # a seed_demo account's email: the page as that reader sees it
    optional: bool = False  # a page still being built: skipped, with a note, while it answers 404


CEILING = Page("ceiling: bare template page", "/en/benchmark/ceiling/")
STAKEHOLDER = "stakeholder@example.com"
MODERATOR = "moderator@example.com"
PAGES = [
    CEILING,
    Page("home, anonymous (en)", "/en/", target=0.5),
    Page("statement, 1,000 comments, anon", f"/en/statements/{SEED_STATEMENT}/", target=0.5),
    Page("statement, 1,000 comments, signed", f"/en/statements/{SEED_STATEMENT}/", 0.1, STAKEHOLDER),
    Page("moderation queue, 10,000 pending", "/en/moderation/", target=0.05, signed_in_as=MODERATOR),
    Page("search 'border', anonymous", "/en/search/?q=border", optional=True),
    Page("priorities list, anonymous", "/en/priorities/"),
    Page("statements archive, anonymous", "/en/statements/"),
    Page("API comments (1,000), first page, anon", f"/api/v1/comments/?statement={SEED_STATEMENT}", target=0.3),
]
# The statement whose comments the open-data export streams (100,000 approved comments).
EXPORT_STATEMENT = "demo-statement-0001"
THREAD_COMMENTS, QUEUE_PENDING, EXPORT_COMMENTS = 1_000, 10_000, 100_000


@dataclass
class Result:
    page: Page
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    queries_cold: int
    queries_warm: int


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of measured load per page (default 10)")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections (default 8)")
    parser.add_argument("--statements", type=int, default=30, help="demo statements beside the 2008 one")
    options = parser.parse_args()

    wrk = find_wrk()
    database_url = os.environ.get("DATABASE_URL", "").strip() or f"sqlite:///{BENCH_DIR / 'bench.sqlite3'}"
    env = server_environment(database_url)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    prepare_database(database_url, env, options.statements)
    # This process counts queries against the same database and cache, quietly.
    os.environ.update(env, DJANGO_LOG_LEVEL="WARNING")

    port = free_port()
    log_path = BENCH_DIR / "gunicorn.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "gunicorn", "spp_portal.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(base, server, log_path)
        import django

        django.setup()
        results, skipped, broken = [], [], []
        for page in PAGES:
            if page.optional and not answers(base + page.path):
                skipped.append(page)
                continue
            try:
                results.append(measure(page, base, wrk, options))
            except PageBroken as error:
                broken.append(str(error))
        # The ceiling again at the end: on a shared machine the first figure alone may be an outlier.
        results.append(measure(CEILING, base, wrk, options))
        memory = worker_memory(server.pid)
        export = export_path()
        download = measure_download(base, export, server.pid) if export else None
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    report(results, memory, database_url, options)
    for page in skipped:
        print(f"{page.name}: not measured, {page.path} is not built yet (404)")
    report_download(download)
    for line in broken:
        print(f"NOT MEASURED: {line} (see {log_path})")
    return 0 if not broken and all(result.errors == 0 for result in results) else 1


def find_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk:
        return wrk
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: installing the Debian package.", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=True)  # noqa: S607
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)  # noqa: S607
        if wrk := shutil.which("wrk"):
            return wrk
    sys.exit("make bench needs wrk, the HTTP load generator: `sudo apt-get install wrk` (Debian/Ubuntu).")


def server_environment(database_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_DEBUG="0",
        DJANGO_HTTPS="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        DJANGO_CACHE_DIR=str(BENCH_DIR / "cache"),
        DJANGO_SETTINGS_MODULE="spp_portal.settings",
        PORTAL_URL="http://127.0.0.1:8000",
        # wrk is one client asking as fast as it can: the search limit per client would measure 429s.
        SEARCH_RATE_LIMIT_COUNT="1000000000",
        API_RATE_LIMIT_ANONYMOUS_COUNT="1000000000",
        SPP_BENCHMARK="1",
        # Seeding 100,000 comments and VACUUM ANALYZE take longer than a request's statement may.
        DATABASE_STATEMENT_TIMEOUT="0",
    )
    return env


def prepare_database(database_url: str, env: dict[str, str], statements: int) -> None:
    if database_url.startswith("sqlite"):
        for leftover in BENCH_DIR.glob("bench.sqlite3*"):
            leftover.unlink()
    else:
        create_postgres_database(database_url)
    shutil.rmtree(BENCH_DIR / "cache", ignore_errors=True)

    def manage(*args, **extra):
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**env, **extra}, check=True)  # noqa: S603

    print(f"Preparing the benchmark database ({redact(database_url)})...", flush=True)
    manage("migrate", "--noinput", "-v", "0")
    manage("seed_demo", "--statements", str(statements), "-v", "0", DJANGO_DEBUG="1")
    print(
        f"Seeding {THREAD_COMMENTS:,} approved comments and {QUEUE_PENDING:,} pending on the 2008 statement, "
        f"{EXPORT_COMMENTS:,} approved on {EXPORT_STATEMENT} for the export...",
        flush=True,
    )
    manage("shell", "-c", "from tools.bench import seed_comments; seed_comments()", DJANGO_DEBUG="1")
    if not database_url.startswith("sqlite"):
        # What autovacuum does within a minute of a bulk load: statistics for the planner, and
        # the visibility map that lets index-only scans (the queue's author counts) skip the heap.
        import psycopg

        with psycopg.connect(database_url, autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE")
    manage("collectstatic", "--noinput", "-v", "0")
    # seed_demo changes statements outside the admin: start a new page-cache generation (this
    # matters with REDIS_URL, whose cache is not cleared here).
    manage("shell", "-c", "from pagecache.cache import invalidate_public_pages; invalidate_public_pages()")


def seed_comments() -> None:
    """The comments the pages are measured with, and an authenticator for the moderator (run in `manage.py shell`)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from dialogue.demo import CommentSeeder
    from priorities.models import Statement

    def quiet(message):
        pass

    with transaction.atomic():
        thread = Statement.objects.get(slug=SEED_STATEMENT)
        CommentSeeder(thread, quiet).seed(THREAD_COMMENTS, QUEUE_PENDING, kind="approved")
        export = Statement.objects.get(slug=EXPORT_STATEMENT)
        CommentSeeder(export, quiet).seed(EXPORT_COMMENTS, 0, kind="approved")
        # Officials need MFA before the queue opens (RequireMFAForOfficialsMiddleware).
        moderator = get_user_model().objects.get(email=MODERATOR)
        if not Authenticator.objects.filter(user=moderator, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(moderator, generate_totp_secret())


def create_postgres_database(database_url: str) -> None:
    import psycopg
    from psycopg import sql

    name = database_url.rsplit("/", 1)[1].split("?")[0]
    server = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"Created PostgreSQL database {name}.", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(base: str, server: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn stopped; see {log_path}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"gunicorn did not answer within 60 s; see {log_path}")


def measure(page: Page, base: str, wrk: str, options) -> Result:
    # Every browser accepts gzip: cached pages are then sent compressed (see pagecache/cache.py).
    headers = ["-H", "Accept-Encoding: gzip"]
    if page.signed_in_as:
        headers += ["-H", f"Cookie: {session_cookie(page.signed_in_as)}"]
    url = base + page.path
    print(f"Measuring {page.name} ({options.duration} s)...", flush=True)
    load = [wrk, "-t2", f"-c{options.connections}", "--latency", *headers, url]
    warm_up = subprocess.run([*load, "-d2s"], capture_output=True, text=True, check=True).stdout  # noqa: S603
    if "Non-2xx" in warm_up:
        raise PageBroken(f"{page.name}: {url} does not answer 200")
    output = subprocess.run([*load, f"-d{options.duration}s"], capture_output=True, text=True, check=True).stdout  # noqa: S603
    time.sleep(1)  # requests wrk left queued in gunicorn's backlog are still being served
    cold, warm = count_queries(page)
    return Result(
        page=page,
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=latency(output, "50%"),
        p99_ms=latency(output, "99%"),
        errors=int(match.group(1)) if (match := re.search(r"Non-2xx or 3xx responses: (\d+)", output)) else 0,
        queries_cold=cold,
        queries_warm=warm,
    )


class PageBroken(Exception):
    """A page answered something else than 200: the others are still measured."""


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310
            return response.status == 200
    except urllib.error.HTTPError:
        return False


@dataclass
class Download:
    path: str
    seconds: float
    megabytes: float
    lines: int
    queries: int
    before: dict[int, int]  # worker pid: resident kB just before the download
    peak: dict[int, int]  # worker pid: highest resident kB seen while it streamed
    after: dict[int, int]


def export_path() -> str | None:
    """The open-data export of EXPORT_STATEMENT's comments (CSV), whatever its URL name, once it exists."""
    from django.urls import NoReverseMatch, get_resolver, reverse
    from django.utils import translation

    def names(resolver, prefix=""):
        for pattern in resolver.url_patterns:
            if hasattr(pattern, "url_patterns"):
                yield from names(pattern, f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix)
            elif pattern.name:
                yield prefix + pattern.name

    candidates = sorted({name for name in names(get_resolver()) if "open-data" in name or "open_data" in name})
    with translation.override("en"):
        for name in candidates:
            for kwargs in ({"slug": EXPORT_STATEMENT, "format": "csv"}, {"slug": EXPORT_STATEMENT}):
                try:
                    return reverse(name, kwargs=kwargs)
                except NoReverseMatch:
                    continue
    return None


def measure_download(base: str, path: str, master_pid: int) -> Download:
    """Download the export once, reading each worker's resident memory every 20 ms while it streams."""
    import threading

    url = base + path
    print(f"Downloading the open-data export ({url})...", flush=True)
    before = {pid: rss for pid, rss, _peak in worker_memory(master_pid)}
    peak = dict(before)
    streaming = threading.Event()
    streaming.set()

    def sample():
        while streaming.is_set():
            for pid in peak:
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                rss = int(re.search(r"^VmRSS:\s+(\d+)", status, re.MULTILINE).group(1))
                peak[pid] = max(peak[pid], rss)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    size = lines = 0
    try:
        with urllib.request.urlopen(url, timeout=600) as response:  # noqa: S310
            while chunk := response.read(1 << 16):
                size += len(chunk)
                lines += chunk.count(b"\n")
    finally:
        seconds = time.monotonic() - started
        streaming.clear()
        sampler.join()
    after = {pid: rss for pid, rss, _peak in worker_memory(master_pid)}
    cold, _warm = count_queries(Page("export", path))
    return Download(path, seconds, size / 1e6, lines, cold, before, peak, after)


def report_download(download: Download | None) -> None:
    print()
    if download is None:
        print("open-data export: not measured, no open-data export URL for a statement's comments exists yet")
        return
    print(
        f"open-data export, {EXPORT_COMMENTS:,} comments ({download.path}): "
        f"{download.megabytes:.1f} MB, {download.lines:,} lines in {download.seconds:.1f} s; {download.queries} SQL"
    )
    for pid, peak in sorted(download.peak.items()):
        print(
            f"gunicorn worker {pid}: {download.before.get(pid, 0) / 1024:.0f} MB before the download, "
            f"peak {peak / 1024:.0f} MB while it streamed, {download.after.get(pid, 0) / 1024:.0f} MB after"
        )


def latency(output: str, percentile: str) -> float:
    value, unit = re.search(rf"^\s+{re.escape(percentile)}\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def count_queries(page: Page) -> tuple[int, int]:
    """SQL queries for the page on a cold page cache, then on a warm one, through the full middleware."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from pagecache.cache import invalidate_public_pages

    client = Client()
    if page.signed_in_as:
        client.cookies.load(session_cookie(page.signed_in_as))
    invalidate_public_pages()  # outside a transaction: at once
    counts = []
    for _attempt in ("cold", "warm"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page.path, HTTP_HOST="127.0.0.1")
            for _chunk in getattr(response, "streaming_content", ()):
                pass  # a streamed export queries as it is read
        counts.append(len(queries))
    return counts[0], counts[1]


_sessions: dict[str, str] = {}


def session_cookie(email: str) -> str:
    """A signed-in session for a seed_demo account, saved where the servers will find it."""
    if email not in _sessions:
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.test import Client

        client = Client()
        client.force_login(get_user_model().objects.get(email=email))
        _sessions[email] = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return _sessions[email]


def worker_memory(master_pid: int) -> list[tuple[int, int, int]]:
    """(pid, resident kB, peak resident kB) of each gunicorn worker, from /proc."""
    workers = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(master_pid):
            kb = {key: int(fields.get(key, "0 kB").split()[0]) for key in ("VmRSS", "VmHWM")}
            workers.append((int(fields["Pid"]), kb["VmRSS"], kb["VmHWM"]))
    return sorted(workers)


def report(results: list[Result], memory, database_url: str, options) -> None:
    # The better of the two ceiling runs, so that a page's ratio is never flattered by a bad one.
    ceiling = max(result.requests_per_second for result in results if result.page is CEILING)
    vendor = "SQLite" if database_url.startswith("sqlite") else "PostgreSQL"
    cache = "Redis" if os.environ.get("REDIS_URL") else "file cache"
    print()
    print(
        f"{vendor}, {cache}; gunicorn 2 sync workers; wrk -t2 -c{options.connections} -d{options.duration}s, gzip; "
        f"{os.cpu_count()} CPUs shared by server, load and anything else running"
    )
    header = (
        f"{'page':<32} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'x ceiling':>9} {'target':>7} {'SQL cold/warm':>14}"
    )
    print(header)
    print("-" * len(header))
    for result in results:
        ratio = result.requests_per_second / ceiling if ceiling else 0.0
        target = f">= {result.page.target:.2f}" if result.page.target else ""
        verdict = "" if not result.page.target else (" met" if ratio >= result.page.target else " MISSED")
        errors = f"  {result.errors} non-2xx!" if result.errors else ""
        print(
            f"{result.page.name:<32} {result.requests_per_second:>8.0f} {result.p50_ms:>8.2f} {result.p99_ms:>8.2f} "
            f"{ratio:>9.2f} {target:>7} {result.queries_cold:>6}/{result.queries_warm:<7}{verdict}{errors}".rstrip()
        )
    print()
    for pid, rss, peak in memory:
        print(f"gunicorn worker {pid}: {rss / 1024:.0f} MB resident after the run (peak {peak / 1024:.0f} MB)")


def redact(url: str) -> str:
    return re.sub(r"//([^:@/]+):[^@/]+@", r"//\1:***@", url)


if __name__ == "__main__":
    sys.exit(main())
