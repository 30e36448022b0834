"""
`make bench`: how fast the portal's pages are under load, against this machine's ceiling.

Not a test: a measurement, run by hand and recorded in the README. It

1. prepares its own database (SQLite in var/bench/, never db.sqlite3; or the PostgreSQL
   database named by DATABASE_URL, created if missing): migrate, then `seed_demo`, which
   runs only with DJANGO_DEBUG=1;
2. serves it the production way: gunicorn with 2 workers on a free port of 127.0.0.1,
   DJANGO_DEBUG=0, a secret key generated for the run, the cache of a real deployment
   (REDIS_URL if set, otherwise a file cache in var/bench/), and SPP_BENCHMARK=1. The
   application is tools.bench_wsgi: the portal, and at /bare/ a bare Django page
   (startproject's middleware, one small template, no query), the measure of every ratio;
3. checks each page once (its status, and markers proving it is the real page, signed in
   where it should be), then drives it with wrk and tools/bench.lua from a separate process
   (a short warm-up, then the measured run), counting every response by status class and
   wrk's socket errors and timeouts: any of them marks the page FAILED. A page's time is cut
   into ROUNDS runs, each followed by a run of the bare page as long; its ratio is to the bare
   page's throughput in those runs. It counts each page's SQL queries on a cold and on a warm cache, reads each
   worker's resident memory from /proc after the run, and measures the statement page's
   first view (elements, gzip size);
4. prints one table: requests/s, p50 and p99 latency, ratio to the bare page, each target
   of issue 17 met, missed or FAILED, queries, responses.

Each page is one entry of PAGES, measured anonymously or signed in as a seed_demo account
(a session saved where the servers find it; the moderator is given an authenticator, as the
queue requires MFA), or with prepared requests sent in turn (distinct search queries,
distinct participants' distinct comments, each with its own session and CSRF token). The
data: 1,000 approved comments in threads and 10,000 pending on the 2008 statement, and
100,000 approved comments on EXPORT_STATEMENT, whose open-data CSV export is downloaded once
at the end while each worker's resident memory is sampled every 20 ms; then comments are
submitted to that statement with campaign grouping and without (tools/bench_campaigns.py). A page still being
built (optional, answering 404) is skipped with a note; a page that fails its check is
reported and the rest still measured (exit status 1).

    make bench                                                          # SQLite
    make bench DATABASE_URL=postgres://postgres@127.0.0.1:5432/spp_bench  # PostgreSQL
"""

import argparse
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tools import bench_campaigns

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
# The portal, and a bare Django page at /bare/ beside it (tools/bench_wsgi.py; never in production).
BENCH_APP = "tools.bench_wsgi:application"
SEED_STATEMENT = "2008-02-28-joint-statement-los-cabos"


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    target: float | None = None  # the minimum throughput, as a ratio of the bare Django page
    signed_in_as: str | None = None  # a seed_demo account's email: the page as that reader sees it
    optional: bool = False  # a page still being built: skipped, with a note, while it answers 404
    # Text the real page contains, checked once before it is measured (signed in: the header's "Sign out").
    markers: tuple[str, ...] = ()
    # The requests wrk sends in turn instead of `path` (a function of this module, given how many
    # are needed): distinct search queries, distinct stakeholders' distinct comments.
    requests: str | None = None
    expect: int = 200  # the status of a good answer: a comment submitted is a 302 to its receipt


BARE = Page("bare Django page (startproject)", "/bare/", markers=("A bare Django page",))
CEILING = Page("portal ceiling: bare template", "/en/benchmark/ceiling/", markers=("North American Dialogue Portal",))
STAKEHOLDER = "stakeholder@example.com"
MODERATOR = "moderator@example.com"
STATEMENT_PATH = f"/en/statements/{SEED_STATEMENT}/"
SIGNED_IN = "Sign out"
ANONYMOUS = "Sign in"
# One entry per measured page; more are added as the portal grows (the API's rows, say).
PAGES = [
    BARE,
    CEILING,
    Page("home, anonymous (en)", "/en/", target=0.5, markers=(ANONYMOUS, "Los Cabos")),
    Page("statement, 1,000 comments, anon", STATEMENT_PATH, 0.8, markers=(ANONYMOUS, 'class="comment')),
    Page(
        "statement, 1,000 comments, signed",
        STATEMENT_PATH,
        0.25,
        STAKEHOLDER,
        markers=(SIGNED_IN, 'name="body"', 'class="comment'),
    ),
    Page(
        "moderation queue, 10,000 pending",
        "/en/moderation/",
        0.25,
        MODERATOR,
        markers=(SIGNED_IN, "items wait, oldest first"),
    ),
    Page(
        "search, 1,200 distinct queries",
        "/en/search/",
        0.05,
        optional=True,
        markers=(ANONYMOUS, 'type="search"'),
        requests="search_requests",
    ),
    Page(
        "thread as JSON, 1,000 comments",
        f"/en/open-data/statements/{SEED_STATEMENT}/comments.json",
        0.3,
        markers=('"comments": [',),
    ),
    Page("priorities list, anonymous", "/en/priorities/", markers=(ANONYMOUS,)),
    Page("statements archive, anonymous", "/en/statements/", markers=(ANONYMOUS,)),
    Page(
        "API comments (1,000), first page, anon",
        f"/api/v1/comments/?statement={SEED_STATEMENT}",
        0.3,
        markers=('"tracking_number"',),
    ),
    # Last: the comments it adds are pending, seen by no page above.
    Page(
        "comment submitted (POST)",
        f"/en/dialogue/statements/{SEED_STATEMENT}/comment/",
        0.03,
        markers=("/dialogue/receipt/",),
        requests="comment_requests",
        expect=302,
    ),
]
# The statement whose comments the open-data export streams (100,000 approved comments).
EXPORT_STATEMENT = "demo-statement-0001"
THREAD_COMMENTS, QUEUE_PENDING, EXPORT_COMMENTS = 1_000, 10_000, 100_000
# The first view of the statement page: at most this many elements and compressed bytes (issue 17).
FIRST_VIEW_ELEMENTS, FIRST_VIEW_GZIP_BYTES = 1_500, 100_000
WRK_THREADS, WRK_TIMEOUT_SECONDS = 2, 5


@dataclass
class Result:
    page: Page
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    statuses: dict[str, int]  # responses by class ("2xx", "3xx", ...), counted by tools/bench.lua
    socket_errors: dict[str, int]  # connect, read, write, timeout (a timed-out request has no latency)
    requests: int
    distinct: int  # distinct requests sent (prepared ones), 1 for a single URL
    reused: int  # times a thread ran out of prepared requests and sent them again
    queries_cold: int
    queries_warm: int
    bare_per_second: float = 0.0  # the bare page's throughput in the runs alternating with this page's

    def failures(self) -> list[str]:
        """What makes the figure untrustworthy: any unexpected status, socket error, timeout, request sent twice."""
        good = f"{self.page.expect // 100}xx"
        found = [f"{n} {status}" for status, n in self.statuses.items() if n and status != good]
        found += [f"{n} {kind} errors" for kind, n in self.socket_errors.items() if n and kind != "timeout"]
        if self.socket_errors.get("timeout"):
            found.append(f"{self.socket_errors['timeout']} timeouts (> {WRK_TIMEOUT_SECONDS} s, latencies dropped)")
        if not self.requests:
            found.append("no response within the run")
        if self.reused and self.page.expect != 200:
            found.append("prepared requests ran out (sent twice)")
        return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of measured load per page (default 10)")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections (default 8)")
    parser.add_argument("--statements", type=int, default=30, help="demo statements beside the 2008 one")
    parser.add_argument(
        "--keep-database",
        action="store_true",
        help="measure the database a previous run prepared (while working on a page; the figures then include "
        "the comments earlier runs submitted)",
    )
    parser.add_argument(
        "--dump",
        action="store_true",
        help="then the bulk dump of 1,000,000 comments: time and peak memory (tools/export_memory.py --dump; "
        "seeding a million comments takes a while, hence not by default)",
    )
    parser.add_argument(
        "--pages",
        default="",
        help="measure only the pages whose name contains one of these comma-separated words (e.g. "
        "'signed,queue'; the bare page is always measured, between the others' runs); default: every page",
    )
    options = parser.parse_args()
    chosen = [word.strip() for word in options.pages.split(",") if word.strip()]

    wrk = find_wrk()
    asked_database = os.environ.get("DATABASE_URL", "").strip()  # the dump measures its own database of it
    database_url = asked_database or f"sqlite:///{BENCH_DIR / 'bench.sqlite3'}"
    env = server_environment(database_url)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    if not options.keep_database:
        prepare_database(database_url, env, options.statements)
    # This process counts queries against the same database and cache, quietly.
    os.environ.update(env, DJANGO_LOG_LEVEL="WARNING")

    port = free_port()
    log_path = BENCH_DIR / "gunicorn.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(  # noqa: S603
            # --timeout as `make serve`: the 100,000-comment export streams for longer than gunicorn's
            # default 30 s on SQLite, and a worker killed mid-download is a broken download.
            [
                sys.executable,
                "-m",
                "gunicorn",
                BENCH_APP,
                "--workers",
                "2",
                "--timeout",
                "120",
                "--bind",
                f"127.0.0.1:{port}",
            ],
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
        results, skipped, broken, bare_runs = [], [], [], []
        check(BARE, base, None)
        for page in PAGES:
            if page is BARE or (chosen and not any(word in page.name for word in chosen)):
                continue
            if page.optional and not answers(base + page.path):
                skipped.append(page)
                continue
            try:
                result, bare = measure(page, base, wrk, options)
            except PageBroken as error:
                broken.append(str(error))
                continue
            results.append(result)
            bare_runs += bare
        bare = combine(BARE, bare_runs, 1, *count_queries(BARE))
        results.insert(0, bare)
        bare_per_second = [run["requests"] / (run["duration_us"] / 1e6) for run in bare_runs]
        first_views = [first_view(base, None), first_view(base, STAKEHOLDER)]
        memory = worker_memory(server.pid)
        export = export_path() if not chosen else None  # a few pages chosen: not the 30-second download
        download = measure_download(base, export, server.pid) if export else None
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    report(results, bare_per_second, memory, database_url, options)
    report_first_views(first_views)
    for page in skipped:
        print(f"{page.name}: not measured, {page.path} is not built yet (404)")
    report_download(download, chosen)
    # Issue 15: grouping a submission into its campaign among EXPORT_STATEMENT's comments, beside no grouping.
    bench_campaigns.report(bench_campaigns.measure(EXPORT_STATEMENT), EXPORT_STATEMENT)
    for line in broken:
        print(f"NOT MEASURED: {line} (see {log_path})")
    first_views_met = all(view.met for view in first_views)
    download_failed = download is not None and download.failure
    failed = broken or download_failed or any(result.failures() for result in results)
    if options.dump:
        print("\nbulk dump (manage.py dump_open_data) of 1,000,000 comments:", flush=True)
        dump = subprocess.run(
            [sys.executable, "-m", "tools.export_memory", "--dump"],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": asked_database},
            check=False,
        )
        failed = failed or dump.returncode != 0
    return 0 if not failed and first_views_met else 1


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
        # The same for comments: the submissions come from 60 stakeholders, far more often each than 5 in 10 minutes.
        COMMENT_RATE_LIMIT_COUNT="1000000000",
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
    # The seeder writes comments in bulk: their campaign bands, as submissions would have stored them.
    manage("index_campaigns", "--statement", EXPORT_STATEMENT, "-v", "0")
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


# A page's measured time is cut into this many runs, each followed by a run of the bare page
# as long: load from elsewhere on a shared machine, which comes and goes, then weighs on both.
ROUNDS = 5


def measure(page: Page, base: str, wrk: str, options) -> tuple[Result, list[dict[str, int]]]:
    """The page under load, after a check and a warm-up, in ROUNDS runs alternating with the bare page's."""
    print(f"Measuring {page.name} ({options.duration} s, and as long for the bare page)...", flush=True)
    seconds = max(1, round(options.duration / ROUNDS))
    check(page, base, requests_file(page, "check", 0))
    wrk_run(page, base, wrk, options, 2, requests_file(page, "warm-up", 2))
    runs, bare_runs, distinct = [], [], set()
    for number in range(ROUNDS):
        prepared = requests_file(page, f"round-{number}", seconds)
        distinct.update(prepared_requests(page, f"round-{number}", seconds))
        runs.append(wrk_run(page, base, wrk, options, seconds, prepared))
        settle(base)
        bare_runs.append(wrk_run(BARE, base, wrk, options, seconds, None))
        settle(base)
    result = combine(page, runs, len(distinct) or 1, *count_queries(page))
    result.bare_per_second = combine(BARE, bare_runs, 1, 0, 0).requests_per_second
    return result, bare_runs


def settle(base: str) -> None:
    """Wait out the requests wrk left queued in gunicorn's backlog: one more request, answered after them."""
    with urllib.request.urlopen(base + BARE.path, timeout=120) as response:  # noqa: S310
        response.read()


def wrk_run(page: Page, base: str, wrk: str, options, seconds: int, prepared: Path | None) -> dict[str, int]:
    """One run of wrk with tools/bench.lua: its summary line as numbers."""
    # Every browser accepts gzip: cached pages are then sent compressed (see pagecache/cache.py).
    headers = ["-H", "Accept-Encoding: gzip"]
    if page.signed_in_as:
        headers += ["-H", f"Cookie: {session_cookie(page.signed_in_as)}"]
    arguments = [
        wrk,
        f"-t{WRK_THREADS}",
        f"-c{options.connections}",
        f"--timeout={WRK_TIMEOUT_SECONDS}s",
        "-s",
        str(LUA_SCRIPT),
        *headers,
        f"-d{seconds}s",
        base + page.path,
        "--",
        str(prepared or ""),
        str(WRK_THREADS),
    ]
    output = subprocess.run(arguments, capture_output=True, text=True, check=True).stdout  # noqa: S603
    line = next((line for line in output.splitlines() if line.startswith("BENCH\t")), None)
    if line is None:
        raise PageBroken(f"{page.name}: wrk printed no summary:\n{output}")
    return {key: int(value) for key, value in (field.split("=") for field in line.split("\t")[1:])}


def combine(page: Page, runs: list[dict[str, int]], distinct: int, cold: int, warm: int) -> Result:
    """Several runs as one: their requests over their time; the middle p50 and the worst p99."""
    total = {key: sum(run[key] for run in runs) for key in runs[0]}
    return Result(
        page=page,
        requests_per_second=total["requests"] / (total["duration_us"] / 1e6),
        p50_ms=statistics.median(run["p50_us"] for run in runs) / 1000,
        p99_ms=max(run["p99_us"] for run in runs) / 1000,
        statuses={status: total[status] for status in ("1xx", "2xx", "3xx", "4xx", "5xx")},
        socket_errors={kind: total[kind] for kind in ("connect", "read", "write", "timeout")},
        requests=total["requests"],
        distinct=distinct,
        reused=total["reused"],
        queries_cold=cold,
        queries_warm=warm,
    )


LUA_SCRIPT = ROOT / "tools" / "bench.lua"
# Prepared requests: (method, path, Cookie header, urlencoded body) for each page, run and phase.
_prepared: dict[tuple[str, str], list[tuple[str, str, str, str]]] = {}
# Comments a second the prepared submissions must last for (wrk must not run out within a run).
COMMENTS_PER_SECOND = 300


def prepared_requests(page: Page, phase: str, seconds: int) -> list[tuple[str, str, str, str]]:
    if not page.requests:
        return []
    if (page.name, phase) not in _prepared:
        _prepared[page.name, phase] = globals()[page.requests](page, phase, seconds)
    return _prepared[page.name, phase]


def requests_file(page: Page, phase: str, seconds: int) -> Path | None:
    requests = prepared_requests(page, phase, seconds)
    if not requests:
        return None
    path = BENCH_DIR / f"requests-{re.sub(r'[^a-z0-9]+', '-', page.name.lower())}-{phase}.tsv"
    path.write_text("".join("\t".join(request) + "\n" for request in requests))
    return path


def search_requests(page: Page, phase: str, seconds: int) -> list[tuple[str, str, str, str]]:
    """1,200 distinct queries from the corpus's words: each word alone in the three languages, then pairs."""
    import random
    from urllib.parse import urlencode

    from dialogue.demo_corpus import search_words

    rng = random.Random(f"search:{phase}")  # noqa: S311 - which queries, not security
    words = {language: search_words(language) for language in ("en", "fr", "es")}
    queries = list(dict.fromkeys(word for language in words for word in words[language]))
    while len(queries) < 1_200:
        language = rng.choice(list(words))
        pair = f"{rng.choice(words[language])} {rng.choice(words[language])}"
        if pair not in queries:
            queries.append(pair)
    rng.shuffle(queries)
    return [("GET", f"{page.path}?{urlencode({'q': query})}", "", "") for query in queries[:1_200]]


def comment_requests(page: Page, phase: str, seconds: int) -> list[tuple[str, str, str, str]]:
    """
    Submissions by the demo's 60 participants in turn (each a verified stakeholder with a session
    and a CSRF token of its own), each text written afresh (no two alike, or the second is refused).
    """
    import random
    from urllib.parse import urlencode

    from django.middleware.csrf import _mask_cipher_secret

    from dialogue.demo import PARTICIPANTS
    from dialogue.demo_corpus import CorpusWriter

    writer = CorpusWriter(random.Random(f"bench-comments:{phase}:{time.time_ns()}"))  # noqa: S311
    participants = []
    for number in range(1, PARTICIPANTS + 1):
        email = f"participant{number:03d}@example.com"
        participants.append((session_cookie(email), csrf_secret(email)))
    requests = []
    for index in range(max(1, seconds * COMMENTS_PER_SECOND)):
        cookie, secret = participants[index % len(participants)]
        body = f"{writer.comment('en')} ({phase} {index})"
        form = {"about": "", "body": body, "language": "en", "csrfmiddlewaretoken": _mask_cipher_secret(secret)}
        requests.append(("POST", page.path, cookie, urlencode(form)))
    return requests


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def check(page: Page, base: str, prepared: Path | None) -> None:
    """Once, before the load: the page answers `expect` and is the real page (its markers), signed in if it should."""
    method, path, cookie, body = ("GET", page.path, "", "")
    if prepared:
        method, path, cookie, body = prepared.read_text().splitlines()[0].split("\t")
    headers = {"Cookie": cookie or (session_cookie(page.signed_in_as) if page.signed_in_as else "")}
    if body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(  # noqa: S310
        base + path, data=body.encode() or None, headers={k: v for k, v in headers.items() if v}, method=method
    )
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=60) as response:
            status, text, location = response.status, response.read().decode(errors="replace"), ""
    except urllib.error.HTTPError as error:
        status, text, location = error.code, error.read().decode(errors="replace"), error.headers.get("Location", "")
    missing = [marker for marker in page.markers if marker not in (location if page.expect == 302 else text)]
    if status != page.expect or missing:
        raise PageBroken(
            f"{page.name}: {method} {path} answered {status} (expected {page.expect})"
            + (f", without {', '.join(repr(m) for m in missing)}" if missing else "")
        )


class PageBroken(Exception):
    """A page answered something else than expected, or not the real page: the others are still measured."""


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
    failure: str = ""  # the download broke off (a worker killed by gunicorn's timeout, say)


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
    failure = ""
    try:
        with urllib.request.urlopen(url, timeout=600) as response:  # noqa: S310
            while chunk := response.read(1 << 16):
                size += len(chunk)
                lines += chunk.count(b"\n")
    except (OSError, http.client.HTTPException) as error:
        failure = f"{type(error).__name__} after {time.monotonic() - started:.1f} s"
    finally:
        seconds = time.monotonic() - started
        streaming.clear()
        sampler.join()
    after = {pid: rss for pid, rss, _peak in worker_memory(master_pid)}
    cold, _warm = count_queries(Page("export", path))
    return Download(path, seconds, size / 1e6, lines, cold, before, peak, after, failure)


def report_download(download: Download | None, chosen: list[str]) -> None:
    print()
    if download is None:
        print(
            "open-data export: not measured "
            + ("(--pages chose a few pages; the download takes half a minute)" if chosen else "(no export URL)")
        )
        return
    print(
        f"open-data export, {EXPORT_COMMENTS:,} comments ({download.path}): "
        f"{download.megabytes:.1f} MB, {download.lines:,} lines in {download.seconds:.1f} s; {download.queries} SQL"
        + (f"; FAILED: broke off, {download.failure} (see var/bench/gunicorn.log)" if download.failure else "")
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
    """
    SQL queries for the page on a cold page cache, then on a warm one, through the full middleware
    (a page of prepared requests: its first, a query or a submission; a submission is counted once).
    """
    from http.cookies import SimpleCookie
    from urllib.parse import parse_qsl

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from pagecache.cache import invalidate_public_pages

    if page is BARE:
        from django.test import override_settings

        from tools import bench_wsgi

        with override_settings(ROOT_URLCONF=bench_wsgi.__name__, MIDDLEWARE=bench_wsgi.STARTPROJECT_MIDDLEWARE):
            return count_queries(Page("bare", page.path))
    client = Client()
    method, path, cookie, body = ("GET", page.path, "", "")
    if page.requests:
        method, path, cookie, body = prepared_requests(page, "count", 0)[0]
    if page.signed_in_as:
        cookie = session_cookie(page.signed_in_as)
    client.cookies.load(SimpleCookie(cookie))
    invalidate_public_pages()  # outside a transaction: at once
    counts = []
    for _attempt in ("cold", "warm") if method == "GET" else ("once",):
        with CaptureQueriesContext(connection) as queries:
            if method == "GET":
                response = client.get(path, HTTP_HOST="127.0.0.1")
            else:
                response = client.post(path, dict(parse_qsl(body)), HTTP_HOST="127.0.0.1")
            for _chunk in getattr(response, "streaming_content", ()):
                pass  # a streamed export queries as it is read
        counts.append(len(queries))
    return counts[0], counts[-1]


_sessions: dict[str, str] = {}
_csrf_secrets: dict[str, str] = {}


def session_cookie(email: str) -> str:
    """
    The cookies of a browser signed in as a seed_demo account: its session, saved where the servers
    will find it, and the CSRF cookie that signing in gave it (csrf_secret(email)). Without that cookie
    every page minted a new CSRF secret and set it, which no returning browser costs.
    """
    if email not in _sessions:
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.middleware.csrf import _get_new_csrf_string
        from django.test import Client

        client = Client()
        client.force_login(get_user_model().objects.get(email=email))
        _csrf_secrets[email] = _get_new_csrf_string()
        _sessions[email] = (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}; "
            f"{settings.CSRF_COOKIE_NAME}={_csrf_secrets[email]}"
        )
    return _sessions[email]


def csrf_secret(email: str) -> str:
    """The CSRF secret in session_cookie(email), for forms posted with it."""
    session_cookie(email)
    return _csrf_secrets[email]


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


def report(results: list[Result], bare_runs: list[float], memory, database_url: str, options) -> None:
    vendor = "SQLite" if database_url.startswith("sqlite") else "PostgreSQL"
    cache = "Redis" if os.environ.get("REDIS_URL") else "file cache"
    print()
    print(
        f"{vendor}, {cache}; gunicorn 2 sync workers; wrk -t{WRK_THREADS} -c{options.connections} "
        f"-d{options.duration}s --timeout {WRK_TIMEOUT_SECONDS}s, gzip; "
        f"{os.cpu_count()} CPUs shared by server, load and anything else running"
    )
    print(
        f"Each page in {ROUNDS} runs, each followed by as long a run of the bare Django page ({min(bare_runs):,.0f} "
        f"to {max(bare_runs):,.0f} req/s over the {len(bare_runs)} runs); x bare: the page's req/s over the bare "
        "page's in the runs between its own. p50: the middle run's; p99: the worst run's."
    )
    header = (
        f"{'page':<34} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'bare':>6} {'x bare':>6} {'target':>7} {'verdict':>7} "
        f"{'SQL':>7}  responses"
    )
    print(header)
    print("-" * len(header))
    for result in results:
        bare = result.bare_per_second or result.requests_per_second
        ratio = result.requests_per_second / bare if bare else 0.0
        failures = result.failures()
        target = f">= {result.page.target:.2f}" if result.page.target else ""
        if failures:
            verdict = "FAILED"
        elif result.page.target:
            verdict = "met" if ratio >= result.page.target else "missed"
        else:
            verdict = ""
        # A timed-out request has no latency: wrk drops it, so the percentiles it would raise are unknown.
        timeouts = result.socket_errors.get("timeout", 0)
        sent = result.requests + timeouts
        unknown = f">{WRK_TIMEOUT_SECONDS * 1000:>7}"
        p99 = f"{result.p99_ms:>8.1f}" if timeouts * 100 < sent else unknown
        p50 = f"{result.p50_ms:>8.1f}" if timeouts * 2 < sent else unknown
        queries = str(result.queries_cold)
        if result.page.expect == 200:
            queries += f"/{result.queries_warm}"
        good = result.statuses.get(f"{result.page.expect // 100}xx", 0)
        responses = f"{good:,} {result.page.expect // 100}xx"
        if result.distinct > 1:
            responses += f", {result.distinct:,} distinct requests"
        if failures:
            responses += "; " + ", ".join(failures)
        print(
            f"{result.page.name:<34} {result.requests_per_second:>7.0f} {p50} {p99} {bare:>6.0f} {ratio:>6.2f} "
            f"{target:>7} {verdict:>7} {queries:>7}  {responses}"
        )
    print()
    for pid, rss, peak in memory:
        print(f"gunicorn worker {pid}: {rss / 1024:.0f} MB resident after the run (peak {peak / 1024:.0f} MB)")


@dataclass
class FirstView:
    reader: str
    elements: int
    gzip_bytes: int
    status: int

    @property
    def met(self) -> bool:
        return self.status == 200 and self.elements < FIRST_VIEW_ELEMENTS and self.gzip_bytes < FIRST_VIEW_GZIP_BYTES


def first_view(base: str, signed_in_as: str | None) -> FirstView:
    """The statement page as a reader first gets it: its elements (an HTML parser's count) and gzip size."""
    import gzip
    from html.parser import HTMLParser

    class Counter(HTMLParser):
        elements = 0

        def handle_starttag(self, tag, attrs):
            self.elements += 1

    headers = {"Cookie": session_cookie(signed_in_as)} if signed_in_as else {}
    request = urllib.request.Request(base + STATEMENT_PATH, headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        status, html = response.status, response.read()
    counter = Counter()
    counter.feed(html.decode())
    # Level 6: what nginx, Apache and most CDNs use for HTML.
    return FirstView(signed_in_as or "anonymous", counter.elements, len(gzip.compress(html, compresslevel=6)), status)


def report_first_views(views: list[FirstView]) -> None:
    print()
    for view in views:
        print(
            f"statement page, first view, {view.reader}: "
            f"{view.elements:,} elements (target < {FIRST_VIEW_ELEMENTS:,}), "
            f"{view.gzip_bytes / 1000:.0f} kB gzip (target < {FIRST_VIEW_GZIP_BYTES / 1000:.0f} kB): "
            + ("met" if view.met else "missed")
        )


def redact(url: str) -> str:
    return re.sub(r"//([^:@/]+):[^@/]+@", r"//\1:***@", url)


if __name__ == "__main__":
    sys.exit(main())
