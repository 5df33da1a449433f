"""Gunicorn settings for serving the web app in production (docs/deploy.md).

    LEDGER_CONFIG=/etc/ledger/production.toml gunicorn -c gunicorn.conf.py

Settings of the app come from LEDGER_* variables (which must name a settings section); these
server settings from the GUNICORN_* variables named below. No access log: this app
writes no visitor's address anywhere (docs/safety.md), and gunicorn's access log would.
"""

from __future__ import annotations

import multiprocessing
import os

wsgi_app = "web:create_app()"  # the factory; each worker builds its own app and engine
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Threads share a worker's connection pool; pages are rendered from the database, so a few
# threads per process keep the CPU busy while one waits on PostgreSQL.
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 9)))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (jittered so they do not all restart at once), but rarely: a
# fresh worker rebuilds the public ledger before it serves a page (seconds on a large ledger),
# and at a few hundred pages a second 20,000 requests came round every minute. 0 never recycles.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000000"))
max_requests_jitter = max_requests // 10
limit_request_line = 4094
limit_request_fields = 50

accesslog = None
errorlog = "-"
# At "warning" gunicorn does not log its "Invalid request from ip=..." debug lines.
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")
# Trust X-Forwarded-* only from the reverse proxy on this machine.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "ledger-web"
