"""gunicorn.conf.py as gunicorn loads it: no keep-alive, and as many connections a worker as threads
(the live server's behaviour: tests/e2e/test_server.py)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_worker_takes_no_more_connections_than_it_has_threads_however_they_are_given(monkeypatch):
    from gunicorn.app.base import Application

    class Config(Application):
        def __init__(self, argv):
            self.argv = argv
            super().__init__()

        def init(self, parser, opts, args):
            return {}

        def load_config(self):
            self.load_config_from_file(str(ROOT / "gunicorn.conf.py"))
            self.cfg.set("threads", self.argv["threads"])

        def load(self):
            return None

    monkeypatch.setenv("WEB_THREADS", "4")
    for threads in (4, 7):  # from WEB_THREADS, and from the command line over it
        app = Config({"threads": threads})
        app.cfg.on_starting(type("Arbiter", (), {"cfg": app.cfg})())
        assert (app.cfg.threads, app.cfg.worker_connections, app.cfg.keepalive) == (threads, threads, 0)
