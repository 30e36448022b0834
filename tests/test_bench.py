"""`make bench`'s own parts: the bare Django page beside the portal, and what counts as a failed page."""

import pytest
from django.core import signals
from django.db import close_old_connections
from django.test import RequestFactory

from tools import bench, bench_wsgi


def call(application, path):
    environ = RequestFactory().get(path, HTTP_HOST="testserver").environ
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer.update(status=status, headers=dict(headers))

    # As Django's test client does: the test's transaction keeps its connection between requests.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        response = application(environ, start_response)
        body = b"".join(response)
        response.close()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return answer["status"], answer["headers"], body


@pytest.mark.django_db
def test_the_bare_page_is_not_part_of_the_portal(client):
    assert client.get("/bare/").status_code == 404


@pytest.mark.django_db
def test_the_bench_serves_a_bare_django_page_beside_the_portal():
    status, headers, body = call(bench_wsgi.application, "/bare/")
    assert status.startswith("200") and b"A bare Django page" in body
    # startproject's middleware: Django's own headers, none of the portal's.
    assert headers["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" not in headers and "X-Request-ID" not in headers
    status, headers, body = call(bench_wsgi.application, "/en/privacy/")
    assert status.startswith("200") and "Content-Security-Policy" in headers and "X-Request-ID" in headers


def result(page, **figures):
    return bench.Result(
        page=page,
        requests_per_second=100.0,
        p50_ms=1.0,
        p99_ms=2.0,
        statuses={"1xx": 0, "2xx": 1000, "3xx": 0, "4xx": 0, "5xx": 0} | figures.pop("statuses", {}),
        socket_errors={"connect": 0, "read": 0, "write": 0, "timeout": 0} | figures.pop("socket_errors", {}),
        requests=1000,
        distinct=1,
        reused=figures.pop("reused", 0),
        queries_cold=0,
        queries_warm=0,
        **figures,
    )


def test_a_page_with_redirects_errors_or_timeouts_is_failed():
    page = bench.Page("a page", "/en/")
    assert result(page).failures() == []
    assert result(page, statuses={"3xx": 3}).failures() == ["3 3xx"]
    assert result(page, statuses={"5xx": 1}, socket_errors={"read": 2}).failures() == ["1 5xx", "2 read errors"]
    assert result(page, socket_errors={"timeout": 4}).failures() == ["4 timeouts (> 5 s, latencies dropped)"]
    submission = bench.Page("a form", "/en/form/", expect=302)
    assert result(submission, statuses={"2xx": 0, "3xx": 1000}).failures() == []
    assert result(submission, reused=1, statuses={"2xx": 0, "3xx": 1000}).failures() == [
        "prepared requests ran out (sent twice)"
    ]
