"""Pages under load: five pages of a full-size course, 20 concurrent clients for 30 s each.

    .venv/bin/python bench/pages.py [--duration 30] [--connections 20] [--pages leaderboard,grid]

Builds the bench course (bench/datagen.py, 200 students, 60 teams, 5,000 submissions) in a fresh
PostgreSQL database cp_bench, starts gunicorn as `make run` does (gunicorn.conf.py; the
production settings: DEBUG off, persistent database connections), logs in by session cookie
(20 students taking turns for the leaderboard, the challenge page and the team list, `--students`;
the instructor for the update grid and the proposal list), and runs `wrk` (Debian's package)
against each page in turn. A page counts as served only with status 200 and its own content;
any other status or socket error is reported. Prints median / p95 latency and throughput per page; the last line is the
worst p95 of the five pages.

Each client sends its next request as soon as the last one is answered (a closed loop, the
hardest reading of "20 concurrent clients"), so the server is saturated and the latency is
mostly waiting: p95 ≈ 20 ÷ throughput. The cheapest page (the anonymous log-in form) runs the
same way afterwards as a reference for what the machine allowed during the run. With
`--think 1`, the five pages run again with each client pausing 0.5-1.5 s between requests, as
20 people reading the pages would.

With `--before DIR` (another checkout of the code on the same database schema, e.g.
`git archive main | tar -x -C /tmp/before`), a second gunicorn runs that code on the same data and
each page is measured on it and on this code in turn, in the same run: the numbers before and after
a change at the same load.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _env

TARGET_P95_MS = 150.0


@dataclass(frozen=True)
class Page:
    name: str
    role: str  # "student" or "instructor"
    path: str  # under /courses/<slug>/
    marker: str  # text the page must contain (not a login page, not an error page)


PAGES = [
    Page("leaderboard", "student", "challenges/adjectives/leaderboard/", "Leaderboard"),
    Page("challenge", "student", "challenges/adjectives/", "submissions left today"),
    Page("team_list", "student", "teams/", "Teams"),
    Page("update_grid", "instructor", "updates/grid/", "Weekly updates"),
    Page("proposal_list", "instructor", "proposals/", "Proposals"),
]
# Not a target: the cheapest page (anonymous log-in form), run the same way, shows what the
# machine and the framework allow at that moment.
REFERENCE = Page("reference_login", "anonymous", "/accounts/login/", "Log in")


def server_env(port: int) -> dict[str, str]:
    return {
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "DB_CONN_MAX_AGE": "60",
        "SITE_URL": f"http://127.0.0.1:{port}",
    }


def _gunicorn_conf() -> str:
    conf = _env.ROOT / "gunicorn.conf.py"
    return "gunicorn.conf.py" if conf.exists() else "gunicorn's defaults"


def session_cookie(user, engine: str | None = None) -> str:
    """A logged-in session for `user`, as the login view would leave it (in `engine`, by default
    the one of these settings)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils.module_loading import import_string

    store = import_module(engine or settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    # The backend that authenticated, as login() records it: the first that can load a user
    # (django-axes's comes first and only checks lockouts).
    backend = next(b for b in settings.AUTHENTICATION_BACKENDS if hasattr(import_string(b), "get_user"))
    store[BACKEND_SESSION_KEY] = backend
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()  # a new session: the database engine creates it, the cookie engine signs it
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def _url_maker(base: str):
    def url_of(page: Page) -> str:
        return base + (page.path if page.path.startswith("/") else "/courses/bench/" + page.path)

    return url_of


def fetch(url: str, cookie: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Cookie": cookie})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def run_wrk(url: str, cookies: list[str], *, duration: int, connections: int, think_ms: int = 0) -> dict:
    """wrk against one URL, the requests taking turns among `cookies` (the sessions of different
    people); with `think_ms`, each connection waits about that long between requests."""
    script = Path(__file__).with_name("wrk_report.lua")
    cmd = [
        "wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s", "--timeout", "10s",
        "-s", str(script), url,
    ]  # fmt: skip
    env = {**os.environ, "WRK_THINK_MS": str(think_ms), "WRK_COOKIES": "|".join(c for c in cookies if c)}
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env).stdout
    match = re.search(r"^WRK_JSON (.*)$", out, re.M)
    if not match:
        raise RuntimeError(f"wrk printed no report:\n{out}")
    data = json.loads(match.group(1))
    seconds = data["duration_us"] / 1e6
    errors = sum(data[k] for k in ("connect", "read", "write", "status", "timeout"))
    return {
        "requests": data["requests"],
        "rps": data["requests"] / seconds,
        "p50_ms": data["p50"] / 1000,
        "p95_ms": data["p95"] / 1000,
        "p99_ms": data["p99"] / 1000,
        "max_ms": data["max"] / 1000,
        "errors": errors,
        "non_2xx_3xx": data["status"],
    }


def print_row(name: str, r: dict) -> None:
    print(
        f"{name:15s} {r['requests']:8d} {r['rps']:7.1f} {r['p50_ms']:6.1f}ms {r['p95_ms']:6.1f}ms "
        f"{r['p99_ms']:6.1f}ms {r['errors']:6d}",
        flush=True,
    )


def load_pass(pages, url_of, cookies, *, duration: int, connections: int, think_ms: int = 0, before=None) -> dict:
    """Each page under load; with `before` ((url_of, cookies) of the other code's server), each page
    on that server first, then on this one (results["<page> (before)"])."""
    header = f"{'page':15s} {'requests':>8s} {'req/s':>7s} {'median':>8s} {'p95':>8s} {'p99':>8s} {'errors':>6s}"
    print(header, flush=True)
    results = {}
    for page in pages:
        if before is not None:
            old_url_of, old_cookies = before
            r = run_wrk(
                old_url_of(page), old_cookies[page.role], duration=duration, connections=connections, think_ms=think_ms
            )
            results[f"{page.name} (before)"] = r
            print_row(f"{page.name[:6]} (before)", r)
        r = run_wrk(url_of(page), cookies[page.role], duration=duration, connections=connections, think_ms=think_ms)
        results[page.name] = r
        print_row(page.name, r)
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=30, help="seconds per page")
    parser.add_argument("--connections", type=int, default=20)
    # By default as `make run` starts it: gunicorn.conf.py (2 workers of 4 threads, each taking only
    # what its threads can serve, no keep-alive). These override it, e.g. --threads 1 for sync-like
    # workers (a sync worker waits on a client that connected and has not sent its request yet).
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: gunicorn.conf.py's)")
    parser.add_argument("--threads", type=int, help="gunicorn threads per worker (default: gunicorn.conf.py's)")
    parser.add_argument("--students", type=int, default=20, help="student sessions the student pages take turns among")
    parser.add_argument("--pages", default="", help="comma-separated subset of: " + ",".join(p.name for p in PAGES))
    parser.add_argument(
        "--think", type=float, default=0.0, help="also run with this many seconds of think time per client"
    )
    parser.add_argument("--reuse-data", action="store_true", help="use the data a --keep-data run left")
    parser.add_argument("--keep-data", action="store_true", help="leave cp_bench and /tmp/cp-bench afterwards")
    parser.add_argument("--before", type=Path, help="another checkout: measure each page on it too, in turn")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk")
    pages = [p for p in PAGES if not args.pages or p.name in args.pages.split(",")]

    port = _env.free_port()
    _env.setup_django(**server_env(port))
    from django.contrib.auth import get_user_model

    from bench import datagen

    if not args.reuse_data:
        _env.clean_var_dir()
        _env.recreate_database()
        started = time.monotonic()
        world = datagen.build(datagen.FULL)
        datagen.analyze()
        print(f"data: {world.counts} in {time.monotonic() - started:.1f} s", flush=True)
    _env.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], **server_env(port))
    users = get_user_model().objects
    # Each student page is read by `--students` different students in turn (by default one per
    # client): a page's per-viewer parts are then built and cached for each of them, as in a class.
    students = [f"bench-student{i:03d}@bench.example" for i in range(args.students)]

    def sessions(engine=None) -> dict[str, list[str]]:
        return {
            "student": [session_cookie(users.get(email=email), engine) for email in students],
            "instructor": [session_cookie(users.get(email="bench-instructor000@bench.example"), engine)],
            "anonymous": [""],
        }

    cookies = sessions()
    # --before: code from before SESSION_STORE kept its sessions in the database; later code takes
    # the same signed cookies as this one.
    old_cookies = None
    if args.before:
        signed = "SESSION_STORE" in (args.before / "courseproj" / "settings.py").read_text()
        old_cookies = cookies if signed else sessions("django.contrib.sessions.backends.db")
    from django.db import connections

    connections.close_all()

    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    cmd = [
        gunicorn, "courseproj.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--log-level", "warning",
    ]  # fmt: skip
    size = {"WEB_CONCURRENCY": str(args.workers or 2), "WEB_THREADS": str(args.threads or 4)}
    server = _env.start(cmd, _env.VAR_DIR / "gunicorn.log", **server_env(port), **size)
    old_server = before = None
    if args.before:
        old_port = _env.free_port()
        old_cmd = [*cmd[:3], f"127.0.0.1:{old_port}", *cmd[4:]]
        if not (args.before / "gunicorn.conf.py").exists():  # code from before it: sized on the command line
            old_cmd += ["--workers", size["WEB_CONCURRENCY"], "--threads", size["WEB_THREADS"]]
        old_env = {**server_env(old_port), **size, "PYTHONPATH": str(args.before.resolve())}
        old_server = _env.start(old_cmd, _env.VAR_DIR / "gunicorn-before.log", cwd=args.before.resolve(), **old_env)
        before = (_url_maker(f"http://127.0.0.1:{old_port}"), old_cookies)
    url_of = _url_maker(f"http://127.0.0.1:{port}")

    try:
        _env.wait_port(port)
        servers = [(url_of, cookies)]
        if before is not None:
            _env.wait_port(old_port)
            servers.append(before)
        for page, (page_url, page_cookies) in [(p, s) for p in [*pages, REFERENCE] for s in servers]:
            # Warm up every worker, and check the page really is the page (for every session).
            sessions = page_cookies[page.role]
            for i in range(max(2 * int(size["WEB_CONCURRENCY"]) * int(size["WEB_THREADS"]), len(sessions))):
                status, body = fetch(page_url(page), sessions[i % len(sessions)])
                if status != 200 or page.marker not in body:
                    raise RuntimeError(f"{page.name}: status {status}, marker {page.marker!r} missing:\n{body[:500]}")
        print(f"machine: {_env.machine()}", flush=True)
        print(
            f"gunicorn: {size['WEB_CONCURRENCY']} workers x {size['WEB_THREADS']} threads ({_gunicorn_conf()}); "
            f"wrk: {args.connections} connections "
            f"without pause, {args.duration} s per page, {args.students} student sessions in turn",
            flush=True,
        )
        results = load_pass(pages, url_of, cookies, duration=args.duration, connections=args.connections, before=before)
        reference = load_pass([REFERENCE], url_of, cookies, duration=args.duration, connections=args.connections)
        thinking = {}
        if args.think:
            print(f"with {args.think:g} s (0.5-1.5x) of think time between a client's requests:", flush=True)
            thinking = load_pass(
                pages, url_of, cookies, duration=args.duration, connections=args.connections,
                think_ms=round(args.think * 1000),
            )  # fmt: skip
        print(f"machine after: {_env.machine()}", flush=True)
    finally:
        _env.stop(server)
        _env.stop(old_server)
    log = (_env.VAR_DIR / "gunicorn.log").read_text(errors="replace")
    if "Traceback" in log:
        print("gunicorn logged errors:\n" + log[-3000:])
    now = {name: r for name, r in results.items() if not name.endswith("(before)")}
    errors = sum(r["errors"] for r in now.values())
    worst = max(r["p95_ms"] for r in now.values())
    met = worst <= TARGET_P95_MS and errors == 0
    print(f"errors: {errors}; target p95 <= {TARGET_P95_MS:.0f} ms and no errors: {'met' if met else 'NOT met'}")
    print(json.dumps({"pages": results, "reference": reference, "think_time": thinking}, sort_keys=True))
    if not args.keep_data:
        _env.drop_database()
        shutil.rmtree(_env.VAR_DIR, ignore_errors=True)
    print(f"pages_p95_ms_worst: {worst:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
