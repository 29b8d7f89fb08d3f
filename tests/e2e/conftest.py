"""Browser tests against the real service: gunicorn on the test database, a Celery worker on Redis,
and Debian's Chromium driven by Playwright.

Once for the package: one gunicorn and one browser; one Celery worker for each module that
needs scoring (stopped after it, so it never takes jobs meant for other tests' workers).
Per test: a fresh browser context per person (`open_as(user)`), screenshots under
artifacts/screenshots/<flow>/, and a check that the server answered no request with a 5xx.
The pages run under the site's enforced Content-Security-Policy: a test fails on any violation
the browser reports (a `securitypolicyviolation` event or a "Refused to …" console error).
Tests here must be marked `@pytest.mark.django_db(transaction=True)`: the server and the worker
are other processes and only see committed rows.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.services import ROOT, celery_worker, free_port, redis_server, stop_process_group, test_database_url

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS_DIR", ROOT / "artifacts"))
REDIS_DB = int(os.environ.get("E2E_REDIS_DB", "9"))
TIMEOUT_MS = 15_000
SCORING_TIMEOUT_MS = 90_000


@pytest.fixture(scope="package")
def e2e_data_dir(tmp_path_factory) -> Path:
    """Uploads, inputs and gold: one directory shared by this process, the web server and the worker."""
    return tmp_path_factory.mktemp("e2e-data")


@pytest.fixture(autouse=True)
def _shared_data_dir(_fast_tests, settings, e2e_data_dir):
    # After tests/conftest.py's per-test DATA_DIR: rows made here must find their files in the server.
    settings.DATA_DIR = e2e_data_dir
    settings.MEDIA_ROOT = e2e_data_dir


@pytest.fixture(scope="package")
def e2e_broker_url() -> str:
    """Redis (db 9 unless E2E_REDIS_DB says otherwise), flushed first."""
    import redis

    with redis_server() as url:
        url = re.sub(r"/\d+$", f"/{REDIS_DB}", url)
        redis.Redis.from_url(url).flushdb()
        yield url


def _service_env(broker_url: str, data_dir: Path, site_url: str = "") -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "CELERY_BROKER_URL": broker_url,
        "COURSEPROJ_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "courseproj.settings",
        "EMAIL_HOST": "",
        "LOG_LEVEL": "WARNING",
    }
    if site_url:
        env["SITE_URL"] = site_url
    return env


class LiveServer:
    """A gunicorn process serving the project on the test database; its access log is checked for 5xx."""

    def __init__(self, url: str, proc: subprocess.Popen, log: Path):
        self.url = url
        self.proc = proc
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def log_size(self) -> int:
        return self.log.stat().st_size

    def server_errors_since(self, offset: int) -> list[str]:
        with open(self.log, "rb") as f:
            f.seek(offset)
            text = f.read().decode(errors="replace")
        return [line for line in text.splitlines() if re.match(r"^ACCESS \S+ \S+ 5\d\d$", line)]

    def tail_since(self, offset: int, limit: int = 6000) -> str:
        with open(self.log, "rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")[-limit:]


@pytest.fixture(scope="package")
def e2e_server(django_db_setup, django_db_blocker, e2e_broker_url, e2e_data_dir):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = Path(tempfile.mkstemp(prefix="e2e-gunicorn-", suffix=".log")[1])
    cmd = [
        sys.executable, "-m", "gunicorn", "courseproj.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--timeout", "120",  # workers and threads: gunicorn.conf.py
        "--access-logfile", "-", "--access-logformat", "ACCESS %(m)s %(U)s %(s)s", "--error-logfile", "-",
    ]  # fmt: skip
    with django_db_blocker.unblock():
        env = _service_env(e2e_broker_url, e2e_data_dir, url)
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = LiveServer(url, proc, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"gunicorn exited with {proc.returncode}:\n{server.output()[-3000:]}")
            try:
                with urllib.request.urlopen(url + "/accounts/login/", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not answer within 60 s:\n{server.output()[-3000:]}")
            time.sleep(0.1)
        yield server
    finally:
        stop_process_group(proc)


@pytest.fixture(scope="module")
def scoring_worker(django_db_setup, django_db_blocker, e2e_broker_url, e2e_data_dir):
    """A real Celery worker on Redis that scores submissions in the bubblewrap sandbox."""
    if shutil.which("bwrap") is None:
        pytest.fail("bubblewrap (bwrap) is missing: the scorer cannot run submissions (apt-get install bubblewrap)")
    with django_db_blocker.unblock():
        env = _service_env(e2e_broker_url, e2e_data_dir)
    with django_db_blocker.unblock(), celery_worker(e2e_broker_url, env=env, concurrency=2, name="e2e") as worker:
        yield worker


@pytest.fixture(scope="package")
def browser():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; Django would refuse every query the
    # tests make next to it ("cannot call this from an async context"), though they never run on that loop.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def _no_server_errors(request):
    """Fail a browser test when the server answered any request with a 5xx while it ran."""
    if "e2e_server" not in request.fixturenames:
        yield
        return
    server: LiveServer = request.getfixturevalue("e2e_server")
    offset = server.log_size()
    yield
    errors = server.server_errors_since(offset)
    assert not errors, f"The server answered with 5xx: {errors}\n{server.tail_since(offset)}"


def session_cookie(user, url: str) -> dict:
    """A logged-in session for `user`, as a browser cookie (logging in through the form is tested separately)."""
    client = Client()
    client.force_login(user)
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {"name": settings.SESSION_COOKIE_NAME, "value": value, "url": url}


class Screens:
    """Numbered full-page screenshots of one flow: artifacts/screenshots/<flow>/NN-name.png."""

    def __init__(self, flow: str):
        self.folder = ARTIFACTS / "screenshots" / flow
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def __call__(self, page, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shots(request) -> Screens:
    flow = request.node.name.removeprefix("test_")
    return Screens(re.sub(r"[^A-Za-z0-9_.-]+", "-", flow))


# Runs in every page before its own scripts (Playwright injects it past the page's CSP).
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.effectiveDirective} blocked ${e.blockedURI || "inline"}`
    + ` in ${e.documentURI} at ${e.sourceFile}:${e.lineNumber} ${e.sample}`);
});
"""


def is_csp_violation(text: str) -> bool:
    """A console line saying the CSP blocked something, or that Chromium cannot read our Permissions-Policy."""
    return (
        text.startswith("CSP violation:")
        or ("Content Security Policy" in text and "Refused to" in text)
        or text.startswith("Error with Permissions-Policy header")
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Fail the test itself (not its teardown) when a page reported a CSP violation while it ran."""
    result = yield
    violations = getattr(item, "csp_violations", [])
    if violations:
        raise AssertionError("The Content-Security-Policy was violated:\n" + "\n".join(violations))
    return result


@pytest.fixture
def csp_violations(request) -> list[str]:
    """What the pages of this test reported as CSP violations (the test fails if any remain)."""
    request.node.csp_violations = []
    return request.node.csp_violations


@pytest.fixture
def open_as(browser, e2e_server, csp_violations):
    """`open_as(user)` → a Playwright page in its own browser context, logged in as `user` (None: anonymous)."""
    contexts = []

    def make(user=None, path: str = "/"):
        context = browser.new_context(base_url=e2e_server.url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        if user is not None:
            context.add_cookies([session_cookie(user, e2e_server.url)])
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: csp_violations.append(m.text) if is_csp_violation(m.text) else None)
        page.goto(path)
        return page

    yield make
    for context in contexts:
        context.close()
