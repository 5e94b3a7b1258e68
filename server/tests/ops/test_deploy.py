"""The deploy/ folder: configs that render completely, nginx accepts, and one real
nginx → gunicorn → app round trip (WebSocket included) on loopback."""
import os
import subprocess
import sys

import pytest
import requests

from deploy import stack as st

needs_nginx = pytest.mark.skipif(st.nginx_binary() is None and not os.environ.get("CI"),
                                 reason="nginx not installed (make prod / .ci/run install it)")


def test_docker_nginx_site_is_the_rendered_template():
    committed = (st.DEPLOY_DIR / "docker" / "nginx-kesher.conf").read_text()
    assert committed == st.render_docker_site(), "run: python -m deploy.stack render-docker-site > deploy/docker/nginx-kesher.conf"


def test_render_refuses_an_unfilled_placeholder():
    with pytest.raises(ValueError, match="upstream_servers"):
        st.render(st.SITE_TEMPLATE.read_text(), listen="80", dist_dir="/x", server_name="_")


def test_gunicorn_runs_one_gthread_worker_per_process():
    from gunicorn.config import Config

    config = Config()
    namespace: dict = {"__file__": str(st.DEPLOY_DIR / "gunicorn.conf.py")}
    exec(compile((st.DEPLOY_DIR / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), namespace)
    for key in ("worker_class", "workers", "threads", "wsgi_app", "control_socket_disable"):
        config.set(key, namespace[key])
    assert config.worker_class_str == "gthread" and config.workers == 1 and config.threads >= 10
    assert config.wsgi_app == "server.app_factory:create_app()"


@needs_nginx
def test_nginx_accepts_the_rendered_config(tmp_path):
    s = st.Stack(st.StackConfig(run_dir=tmp_path, nginx_port=st.free_port(), web_ports=[st.free_port()]))
    conf = s.write_nginx_conf()
    result = subprocess.run(s.nginx_argv(conf, "-t"), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.fixture()
def live_stack(tmp_path):
    """nginx → one gunicorn on a fresh SQLite file (no Redis), built dist/ with one asset."""
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "assets" / "app-3f2a.js").write_text("console.log('קשר')")
    (dist / "index.html").write_text("<!doctype html><html lang='he' dir='rtl'><title>קשר</title></html>")
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'stack.db'}", "SECRET_KEY": "stack-test-secret-key-1234567",
           "HUEY_SQLITE_PATH": str(tmp_path / "huey.db"), "REDIS_URL": "",
           "MEDIA_DIR": str(tmp_path / "media")}
    s = st.Stack(st.StackConfig(run_dir=tmp_path / "run", nginx_port=st.free_port(), web_ports=[st.free_port()],
                                env=env, dist_dir=dist, threads=8, python=sys.executable))
    try:
        s.start(timeout=60)
        yield s
    finally:
        s.stop()
        for name in ("web-%d" % s.config.web_ports[0], "nginx"):
            log = s.run_dir / f"{name}.log"
            if log.exists():
                print(name, log.read_text()[-2000:])


@needs_nginx
def test_nginx_gunicorn_round_trip(live_stack):
    base = live_stack.url("")
    assert requests.get(base + "/health", timeout=5).json()["status"] == "ok"
    missing = requests.get(base + "/api/no-such-thing", timeout=5)
    assert missing.status_code == 404 and missing.json() == {"error": "not found"}
    asset = requests.get(base + "/assets/app-3f2a.js", timeout=5)
    assert asset.status_code == 200 and "immutable" in asset.headers["Cache-Control"]
    too_big = requests.post(base + "/webhook/incoming_call", data=b"x" * (2 * 1024 * 1024), timeout=10)
    assert too_big.status_code == 413 and too_big.json() == {"error": "payload too large"}

    import socketio
    # Socket.IO serves logged-in sessions only (server/routes/realtime.py): an anonymous
    # socket is refused, a session's socket upgrades to a WebSocket through nginx.
    anonymous = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        anonymous.connect(base, transports=["websocket"], wait_timeout=10)
    subprocess.run([sys.executable, "-m", "flask", "create-user", "--email", "ops@kesher.test",
                    "--password", "ops-pass-12345", "--role", "admin"],
                   cwd=st.REPO_ROOT, env=live_stack.app_env("cli"), check=True, capture_output=True)
    http = requests.Session()
    http.post(base + "/api/auth/login", json={"email": "ops@kesher.test", "password": "ops-pass-12345"},
              timeout=10).raise_for_status()
    cookie = "; ".join(f"{c.name}={c.value}" for c in http.cookies)
    client = socketio.Client(reconnection=False)
    client.connect(base, transports=["websocket"], headers={"Cookie": cookie}, wait_timeout=10)
    try:
        assert client.transport() == "websocket"
    finally:
        client.disconnect()
