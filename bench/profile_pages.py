"""CPU per request of the five pages, in-process, on the data `bench/pages.py --keep-data` left.

    .venv/bin/python bench/profile_pages.py [--requests 30] [--pages challenge,team_list] [--profile N]

Django's test client with the production settings (DEBUG off, the page cache on, outside any
transaction), one process: each page is requested once to fill the cache, then `--requests`
times by the same students in turn as the load benchmark uses; prints the median of
`time.process_time()` per request (this process's CPU only: PostgreSQL's share is not in it)
and the wall time. With `--profile N`, the N functions with the most cumulative time per page
(cProfile over the same requests). The anonymous log-in form and a plain logged-in page (the
profile) are the yardsticks of the fixed cost.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _env
from bench.pages import PAGES, REFERENCE, Page, server_env

EXTRA = [REFERENCE, Page("profile_page", "student", "/accounts/profile/", "")]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--pages", default="")
    parser.add_argument("--profile", type=int, default=0, help="print the top N functions per page")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--dump", default="", help="also write each page's profile to DUMP-<page>.prof")
    parser.add_argument("--filter", default="", help="only functions whose file:line(name) matches this regex")
    args = parser.parse_args(argv)
    _env.setup_django(**{**server_env(8000), "ALLOWED_HOSTS": "testserver"})
    from django.contrib.auth import get_user_model
    from django.test import Client

    from courses.models import Course

    slug = Course.objects.get().slug
    users = get_user_model().objects
    students = [users.get(email=f"bench-student{i:03d}@bench.example") for i in range(args.students)]
    instructor = users.get(email="bench-instructor000@bench.example")
    clients = {"student": [], "instructor": [], "anonymous": [Client()]}
    for role, people in (("student", students), ("instructor", [instructor])):
        for person in people:
            client = Client()
            client.force_login(person, backend="accounts.backends.EmailOrUsernameBackend")
            clients[role].append(client)
    wanted = [p for p in [*PAGES, *EXTRA] if not args.pages or p.name in args.pages.split(",")]
    for page in wanted:
        url = page.path if page.path.startswith("/") else f"/courses/{slug}/{page.path}"
        group = clients[page.role]
        for client in group:  # fill the cache for every viewer
            response = client.get(url)
            assert response.status_code == 200 and page.marker in response.content.decode(), (page.name, response)
        cpu, wall = [], []
        profiler = cProfile.Profile() if args.profile else None
        for i in range(args.requests):
            client = group[i % len(group)]
            c0, w0 = time.process_time(), time.perf_counter()
            if profiler:
                profiler.enable()
            client.get(url)
            if profiler:
                profiler.disable()
            cpu.append(time.process_time() - c0)
            wall.append(time.perf_counter() - w0)
        cpu_ms, wall_ms = statistics.median(cpu) * 1000, statistics.median(wall) * 1000
        print(f"{page.name:15} cpu {cpu_ms:6.2f} ms  wall {wall_ms:6.2f} ms", flush=True)
        if profiler:
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).sort_stats(args.sort)
            stats.print_stats(*([args.filter] if args.filter else []), args.profile)
            print(out.getvalue())
            if args.dump:
                profiler.dump_stats(f"{args.dump}-{page.name}.prof")
    return 0


if __name__ == "__main__":
    sys.exit(main())
