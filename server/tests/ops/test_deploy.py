"""The deploy/ folder: configs that render completely, nginx accepts, and one real
nginx → gunicorn → app round trip (WebSocket included) on loopback."""
import os
import shutil
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
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'stack.db'}", "SECRET_KEY": "stack-test-secret-key-0123456789abcdef",
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
    assert missing.status_code == 404 and missing.json() == {"error": "not found", "code": "not_found"}
    asset = requests.get(base + "/assets/app-3f2a.js", timeout=5)
    assert asset.status_code == 200 and "immutable" in asset.headers["Cache-Control"]
    too_big = requests.post(base + "/webhook/incoming_call", data=b"x" * (2 * 1024 * 1024), timeout=10)
    assert too_big.status_code == 413 and too_big.json() == {"error": "payload too large", "code": "payload_too_large"}

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


# ---- `make prod`: the real entry point, started and stopped like an operator does -----------

@needs_nginx
def test_make_prod_entry_point_serves_health_through_nginx_and_exits_cleanly_on_sigterm(tmp_path):
    import signal

    port, web_port = st.free_port(), st.free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.db'}",
           "SECRET_KEY": "prod-entry-test-secret-key-0123456789", "REDIS_URL": "", "WEB_PROCESSES": "",
           "HUEY_SQLITE_PATH": str(tmp_path / "huey.db"), "MEDIA_DIR": str(tmp_path / "media"),
           "LOG_DIR": str(tmp_path / "logs")}
    run_dir = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "deploy.stack", "run", "--port", str(port),
                             "--web-port", str(web_port), "--run-dir", str(run_dir)],
                            cwd=st.REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        st.wait_http(f"http://127.0.0.1:{port}/health", 120, proc)
        health = requests.get(f"http://127.0.0.1:{port}/health", timeout=5)
        assert health.json() == {"status": "ok", "database": "ok"}
        assert health.headers["Server"].startswith("nginx")
        (tmp_path / "prod.db").stat()  # `flask db upgrade heads` ran on the configured database

        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=90)
        assert proc.returncode == 0, output
        assert "is running" in output and f"127.0.0.1:{port}" in output
        # nginx, gunicorn and the worker went with it: nothing answers on either port.
        for stopped in (port, web_port):
            with pytest.raises(requests.ConnectionError):
                requests.get(f"http://127.0.0.1:{stopped}/health", timeout=2)
        assert not (run_dir / "nginx.pid").exists()  # nginx quit gracefully (it removes its pid file)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


# ---- docker-compose.yml and the systemd units -------------------------------------------------

def _dockerfile_cmd(target: str) -> list[str] | None:
    import json
    stage = None
    cmd = None
    for line in (st.DEPLOY_DIR / "docker" / "Dockerfile").read_text().splitlines():
        if line.startswith("FROM "):
            stage = line.split(" AS ")[-1].strip() if " AS " in line else None
        elif line.startswith("CMD ") and stage == target:
            cmd = json.loads(line[4:])
    return cmd


def test_docker_compose_defines_the_whole_stack_with_its_commands():
    import yaml

    compose = yaml.safe_load((st.DEPLOY_DIR / "docker" / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "redis", "migrate", "web1", "web2", "worker", "nginx"}
    assert services["db"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:") and services["redis"]["command"][0] == "redis-server"
    assert services["migrate"]["command"] == ["flask", "db", "upgrade", "heads"]
    assert services["worker"]["command"] == ["python", "-m", "server.worker"]
    # The web processes run the image's command: gunicorn with the shared config.
    assert _dockerfile_cmd("app") == ["gunicorn", "-c", "deploy/gunicorn.conf.py"]
    for name in ("web1", "web2", "worker", "migrate"):
        service = services[name]
        assert service["build"]["target"] == "app"
        assert ("command" in service) == (name in ("migrate", "worker"))
        assert service["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://kesher:")
        assert service["environment"]["REDIS_URL"] == "redis://redis:6379/0"
    for name in ("web1", "web2", "worker"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert services[name]["depends_on"]["redis"] == {"condition": "service_healthy"}
    assert services["web1"]["environment"]["LOG_DIR"] != services["web2"]["environment"]["LOG_DIR"]
    assert services["nginx"]["build"]["target"] == "nginx"
    assert services["nginx"]["depends_on"] == {"web1": {"condition": "service_healthy"},
                                               "web2": {"condition": "service_healthy"}}
    assert set(compose["volumes"]) >= {"pgdata", "redisdata", "instance"}


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_units_pass_systemd_analyze_verify(tmp_path):
    # The units name /opt/kesher: verify them against this checkout (its .venv) instead.
    for unit in (st.DEPLOY_DIR / "systemd").iterdir():
        text = unit.read_text().replace("/opt/kesher", str(st.REPO_ROOT))
        (tmp_path / unit.name).write_text(text)
    (tmp_path / "kesher-web@8001.service").write_text((tmp_path / "kesher-web@.service").read_text())
    units = ["kesher-migrate.service", "kesher-worker.service", "kesher-web@8001.service", "kesher.target"]
    result = subprocess.run(["systemd-analyze", "verify", *[f"./{u}" for u in units]], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if str(tmp_path) in line or "kesher" in line]
    assert result.returncode == 0 and problems == [], result.stderr


def test_every_python_module_the_deploy_files_name_exists():
    import importlib.util
    import re

    named = {}
    for path in st.DEPLOY_DIR.rglob("*"):
        if path.is_file() and path.suffix not in (".pyc",):
            for module in re.findall(r"python3? -m ([A-Za-z_][\w.]*)", path.read_text(errors="replace")):
                named.setdefault(module, path.name)
    assert "deploy.stack" in named
    missing = {m: f for m, f in named.items() if importlib.util.find_spec(m) is None}
    assert missing == {}
