"""The production process set on one machine: gunicorn web processes, the job worker and
nginx in front of them, all on loopback ports.

`make prod` runs it (`python -m deploy.stack run`); the reliability suite drives the same
class to start, kill and restart the pieces. Docker and systemd (see deploy/README.md) run
the same commands: `gunicorn -c deploy/gunicorn.conf.py`, `python -m server.worker`, nginx
with the site rendered from deploy/nginx/kesher-site.conf.in.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEPLOY_DIR = REPO_ROOT / "deploy"
SITE_TEMPLATE = DEPLOY_DIR / "nginx" / "kesher-site.conf.in"
STANDALONE_TEMPLATE = DEPLOY_DIR / "nginx" / "nginx-standalone.conf.in"
DOCKER_SITE = DEPLOY_DIR / "docker" / "nginx-kesher.conf"


def render(template: str, **values: str) -> str:
    """Fill `{{name}}` placeholders; a placeholder left unfilled is a bug, not a blank."""
    out = template
    for key, value in values.items():
        out = out.replace("{{" + key + "}}", value)
    if "{{" in out:
        start = out.index("{{")
        raise ValueError(f"unfilled placeholder {out[start:out.index('}}', start) + 2]}")
    return out


def render_site(listen: str, upstreams: list[str], dist_dir: str, server_name: str = "_") -> str:
    servers = "\n".join(f"    server {u} max_fails=1 fail_timeout=2s;" for u in upstreams)
    return render(SITE_TEMPLATE.read_text(), listen=listen, upstream_servers=servers,
                  dist_dir=dist_dir, server_name=server_name)


def render_docker_site() -> str:
    """The site as docker-compose.yml runs it: two web containers, dist/ baked into nginx."""
    return render_site("80", ["web1:8000", "web2:8000"], "/usr/share/kesher/dist")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)


@dataclass
class StackConfig:
    run_dir: Path
    nginx_port: int
    web_ports: list[int]
    env: dict[str, str] = field(default_factory=dict)  # DATABASE_URL, REDIS_URL, SECRET_KEY, ...
    dist_dir: Path = REPO_ROOT / "dist"
    threads: int = 50
    python: str = sys.executable


class Stack:
    """Starts and stops each process by its own pid (each in its own process group)."""

    def __init__(self, config: StackConfig):
        self.config = config
        self.run_dir = Path(config.run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.webs: dict[int, subprocess.Popen] = {}
        self.worker: subprocess.Popen | None = None
        self.nginx: subprocess.Popen | None = None

    # ---- environment ---------------------------------------------------------------

    def app_env(self, name: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.config.env)
        env.setdefault("APP_ENV", "production")
        env["TRUSTED_PROXIES"] = "1"  # exactly the one nginx in front
        env["PYTHONUNBUFFERED"] = "1"
        # One log folder per process: RotatingFileHandler must not rotate under another process.
        env["LOG_DIR"] = str(Path(self.config.env.get("LOG_DIR", self.run_dir / "logs")) / name)
        env["FLASK_APP"] = "server.app_factory:create_app"
        return env

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None) -> subprocess.Popen:
        log = open(self.run_dir / f"{name}.log", "ab")
        return subprocess.Popen(argv, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)

    # ---- the pieces ------------------------------------------------------------------

    def migrate(self) -> None:
        """`flask db upgrade heads` once, before any web process starts."""
        result = subprocess.run([self.config.python, "-m", "flask", "db", "upgrade", "heads"], cwd=REPO_ROOT,
                                env=self.app_env("migrate"), capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise RuntimeError(f"flask db upgrade heads failed:\n{result.stdout}\n{result.stderr}")

    def start_web(self, port: int) -> subprocess.Popen:
        env = self.app_env(f"web-{port}")
        env["KESHER_BIND"] = f"127.0.0.1:{port}"
        env["KESHER_THREADS"] = str(self.config.threads)
        env["KESHER_PROC_NAME"] = f"kesher-web-{port}"
        proc = self._spawn(f"web-{port}", [self.config.python, "-m", "gunicorn", "-c",
                                            str(DEPLOY_DIR / "gunicorn.conf.py")], env)
        self.webs[port] = proc
        return proc

    def start_worker(self) -> subprocess.Popen:
        env = self.app_env("worker")
        if not env.get("REDIS_URL") and self.config.web_ports:
            # One web process and no Redis: the worker hands its live events to it over loopback.
            env.setdefault("REALTIME_RELAY_URL", f"http://127.0.0.1:{self.config.web_ports[0]}")
        self.worker = self._spawn("worker", [self.config.python, "-m", "server.worker"], env)
        return self.worker

    def write_nginx_conf(self) -> Path:
        site = self.run_dir / "kesher-site.conf"
        site.write_text(render_site(f"127.0.0.1:{self.config.nginx_port}",
                                    [f"127.0.0.1:{p}" for p in self.config.web_ports], str(self.config.dist_dir)))
        # As root the workers would drop to `nobody`, who may not read the checkout: this
        # loopback stack keeps the invoking user (the system nginx of deploy/ uses www-data).
        user_line = "user root;" if os.geteuid() == 0 else ""
        conf = self.run_dir / "nginx.conf"
        conf.write_text(render(STANDALONE_TEMPLATE.read_text(), run_dir=str(self.run_dir),
                               site_conf=str(site), user_line=user_line))
        return conf

    def nginx_argv(self, conf: Path, *extra: str) -> list[str]:
        binary = nginx_binary()
        if binary is None:
            raise RuntimeError("nginx is not installed (make prod installs it with apt-get)")
        return [binary, "-p", str(self.run_dir), "-e", str(self.run_dir / "nginx-error.log"), "-c", str(conf), *extra]

    def start_nginx(self) -> subprocess.Popen:
        conf = self.write_nginx_conf()
        check = subprocess.run(self.nginx_argv(conf, "-t", "-q"), capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"nginx -t failed: {check.stderr}")
        self.nginx = self._spawn("nginx", self.nginx_argv(conf, "-g", "daemon off;"), None)
        return self.nginx

    # ---- lifecycle -------------------------------------------------------------------

    def start(self, migrate: bool = True, timeout: float = 60) -> None:
        if migrate:
            self.migrate()
        for port in self.config.web_ports:
            self.start_web(port)
        self.start_worker()
        self.start_nginx()
        for port in self.config.web_ports:
            wait_http(f"http://127.0.0.1:{port}/health", timeout, self.webs[port])
        wait_http(self.url("/health"), timeout, self.nginx)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.config.nginx_port}{path}"

    @staticmethod
    def signal_proc(proc: subprocess.Popen | None, sig: int = signal.SIGTERM, wait: float = 20) -> None:
        """Signal one process group we started; escalate to SIGKILL if it lingers."""
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def kill_worker(self, sig: int = signal.SIGKILL) -> None:
        self.signal_proc(self.worker, sig)

    def stop(self) -> None:
        self.signal_proc(self.nginx, signal.SIGQUIT)
        for proc in self.webs.values():
            self.signal_proc(proc)
        self.signal_proc(self.worker, signal.SIGINT)  # huey's consumer finishes quickly on SIGINT

    def processes(self) -> dict[str, subprocess.Popen | None]:
        procs: dict[str, subprocess.Popen | None] = {f"web-{p}": w for p, w in self.webs.items()}
        procs.update(worker=self.worker, nginx=self.nginx)
        return procs


def wait_http(url: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError) as exc:
            last = str(exc)
        time.sleep(0.2)
    raise RuntimeError(f"{url} not healthy after {timeout:.0f}s: {last}")


# ---- `make prod` ---------------------------------------------------------------------

def _prod_env() -> dict[str, str]:
    """What `make prod` adds to the operator's environment (and .env, which the app reads
    itself): production mode, and a generated SECRET_KEY kept in instance/ when none is set."""
    from dotenv import dotenv_values

    from server.config import INSECURE_SECRET_KEYS, instance_secret_key

    configured = {**{k: v for k, v in dotenv_values(REPO_ROOT / ".env").items() if v},
                  **{k: v for k, v in os.environ.items() if v}}
    env = {"APP_ENV": "production"}
    if configured.get("REDIS_URL"):
        env["REDIS_URL"] = configured["REDIS_URL"]
    if configured.get("SECRET_KEY", "").strip() in INSECURE_SECRET_KEYS:
        # Every process of this host reads the same file (created 0600, atomically); a weak
        # SECRET_KEY that is set is left to the app, which refuses it with the reason.
        key_file = REPO_ROOT / "instance" / "prod-secret-key"
        env["SECRET_KEY"] = instance_secret_key(key_file)
        print(f"SECRET_KEY not configured: using the generated one in {key_file.relative_to(REPO_ROOT)}")
    return env


def run_prod(args: argparse.Namespace) -> int:
    env = _prod_env()
    processes = args.web_processes or (2 if env.get("REDIS_URL") else 1)
    if processes > 1 and not env.get("REDIS_URL"):
        print("several web processes need REDIS_URL (shared Socket.IO events, jobs and rate limits): using one")
        processes = 1
    web_ports = [args.web_port + i for i in range(processes)]
    run_dir = Path(args.run_dir)
    stack = Stack(StackConfig(run_dir=run_dir, nginx_port=args.port, web_ports=web_ports, env=env))
    stopping = {"now": False}

    def _stop(signum, frame):
        stopping["now"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        stack.start()
        print(f"\n  Kesher (production mode) is running: {stack.url('/')}"
              f"\n  nginx 127.0.0.1:{args.port} → gunicorn {', '.join(map(str, web_ports))} + job worker"
              f"\n  Redis: {'yes' if env.get('REDIS_URL') else 'no (embedded SQLite queue)'}"
              f"\n  logs: {run_dir}/*.log   stop: Ctrl-C\n", flush=True)
        while not stopping["now"]:
            for name, proc in stack.processes().items():
                if proc is not None and proc.poll() is not None:
                    print(f"{name} exited with {proc.returncode}; stopping (see {run_dir}/{name}.log)")
                    return 1
            time.sleep(0.5)
        return 0
    finally:
        stack.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.stack")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="migrate, then serve nginx → gunicorn(s) + worker on loopback")
    run.add_argument("--port", type=int, default=int(os.environ.get("PROD_PORT", "8080")))
    run.add_argument("--web-port", type=int, default=int(os.environ.get("PROD_WEB_PORT", "8001")))
    run.add_argument("--web-processes", type=int, default=int(os.environ.get("WEB_PROCESSES") or "0"))
    run.add_argument("--run-dir", default=str(REPO_ROOT / "instance" / "prod"),
                     help="nginx config, pid and logs of this run (default instance/prod)")
    sub.add_parser("render-docker-site", help="print the nginx site used by docker-compose.yml")
    args = parser.parse_args(argv)
    if args.command == "render-docker-site":
        sys.stdout.write(render_docker_site())
        return 0
    return run_prod(args)


if __name__ == "__main__":
    sys.exit(main())
