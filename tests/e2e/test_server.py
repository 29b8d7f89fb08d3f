"""gunicorn as `make run` starts it (gunicorn.conf.py): no keep-alive, and more clients than the
workers' threads are all answered (they wait in the kernel's queue, none is refused)."""

import http.client
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _connection(url: str) -> http.client.HTTPConnection:
    parts = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)


def test_each_answer_closes_its_connection_though_the_client_would_keep_it(e2e_server):
    conn = _connection(e2e_server.url)
    conn.request("GET", "/accounts/login/", headers={"Connection": "keep-alive"})
    response = conn.getresponse()
    response.read()
    assert response.status == 200
    assert response.getheader("Connection", "").lower() == "close"
    assert response.will_close
    conn.close()


def test_three_times_as_many_clients_as_threads_are_all_answered(e2e_server):
    def get(_):
        conn = _connection(e2e_server.url)
        try:
            conn.request("GET", "/accounts/login/")
            response = conn.getresponse()
            return response.status, len(response.read())
        finally:
            conn.close()

    with ThreadPoolExecutor(24) as pool:  # 2 workers x 4 threads take 8 at a time
        answers = list(pool.map(get, range(72)))
    assert [status for status, _ in answers] == [200] * 72
    assert all(size > 1000 for _, size in answers)
