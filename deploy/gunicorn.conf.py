"""Gunicorn settings for one Kesher web process (`gunicorn -c deploy/gunicorn.conf.py`).

Flask-SocketIO runs in threading mode here, so the worker class is gthread: one worker
process per gunicorn (Socket.IO's long-polling needs every request of a client to reach
the same process, which gunicorn's own balancer cannot promise), with enough threads to
hold the open WebSockets. Scale out by starting more gunicorns on other ports behind
nginx (sticky `/socket.io`, see deploy/nginx) with REDIS_URL set, so Socket.IO events,
jobs and rate limits are shared between them.
"""
import os

wsgi_app = "server.app_factory:create_app()"
bind = os.environ.get("KESHER_BIND", "127.0.0.1:8001")
worker_class = "gthread"
workers = 1  # never more: see the module docstring
threads = int(os.environ.get("KESHER_THREADS", "50"))
# Twilio gives a webhook 15 s; a request that runs longer than this is a bug, but a
# WebSocket is a long request, so the timeout is the worker heartbeat, not per request.
timeout = int(os.environ.get("KESHER_WORKER_TIMEOUT", "60"))
graceful_timeout = 20
keepalive = 5
# nginx is the only client; the app's ProxyFix (TRUSTED_PROXIES=1) reads the forwarded
# headers. Gunicorn trusts X-Forwarded-Proto only from loopback, which agrees with it.
forwarded_allow_ips = "127.0.0.1,::1"
proc_name = os.environ.get("KESHER_PROC_NAME", "kesher-web")
accesslog = "-"
errorlog = "-"
# No secrets in the access log: the query string may carry tokens (Meta's hub.verify_token).
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
# Gunicorn's control socket defaults to one path per user: several web processes on one
# machine would fight over it, and nothing here uses it.
control_socket_disable = True
