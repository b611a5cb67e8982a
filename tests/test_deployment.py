"""The deployment guide's files work: systemd units verified, nginx ending TLS in front of a real
pepflow, the environment file complete, the backup script, and the PostgreSQL roles."""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from pepflow.environment import PREFIX, Environment

from .conftest import ROOT
from .faults.harness import demo_database, free_port, python_env

DEPLOY = ROOT / "deploy"


def test_the_environment_file_lists_every_setting_pepflow_reads():
    text = (DEPLOY / "pepflow.env").read_text()
    for name in Environment.model_fields:
        assert f"{PREFIX}{name.upper()}=" in text, name
    guide = (ROOT / "docs" / "deployment.md").read_text()
    assert "docs/deployment.md" in (ROOT / "README.md").read_text()
    for file in ("pepflow.env", "pepflow-web.service", "pepflow-worker.service", "nginx-pepflow.conf",
                 "postgres-roles.sql", "backup.sh", "pepflow-backup.timer"):
        assert (DEPLOY / file).exists() and file in guide, file


def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is needed (apt-get install systemd)"
    for unit in sorted(DEPLOY.glob("pepflow-*")):
        # installed under /opt/pepflow; here the checkout stands in for it, so the commands exist
        (tmp_path / unit.name).write_text(unit.read_text().replace("/opt/pepflow", str(ROOT)))
    units = sorted(str(p) for p in tmp_path.iterdir())
    assert len(units) == 4
    done = subprocess.run([analyze, "verify", *units], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0 and done.stderr.strip() == "" and done.stdout.strip() == "", done.stderr
    web = (DEPLOY / "pepflow-web.service").read_text()
    assert "--role web" in web and "EnvironmentFile=/etc/pepflow/pepflow.env" in web
    assert "--role worker" in (DEPLOY / "pepflow-worker.service").read_text()


def _certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "pepflow.pem", folder / "pepflow.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def _nginx_config(folder: Path, http_port: int, tls_port: int, app_port: int, cert: Path, key: Path) -> Path:
    """The shipped site configuration, on loopback ports, inside a minimal nginx.conf."""
    site = (DEPLOY / "nginx-pepflow.conf").read_text()
    site = (site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
                .replace("listen 443 ssl http2;", f"listen 127.0.0.1:{tls_port} ssl http2;")
                .replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};")
                .replace("/etc/ssl/certs/pepflow.example.gov.uk.pem", str(cert))
                .replace("/etc/ssl/private/pepflow.example.gov.uk.key", str(key)))
    site = "\n".join(line for line in site.splitlines() if "listen [::]" not in line)
    (folder / "site.conf").write_text(site)
    conf = folder / "nginx.conf"
    conf.write_text(("user root;\n" if os.geteuid() == 0 else "") + f"""
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body; proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi; uwsgi_temp_path {folder}/uwsgi; scgi_temp_path {folder}/scgi;
    include {folder}/site.conf;
}}
""")
    return conf


def test_nginx_ends_tls_and_pepflow_sees_https_through_it(tmp_path):
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    assert nginx, "nginx is needed (apt-get install nginx-light)"
    url = f"sqlite:///{tmp_path / 'site.db'}"
    demo_database(url)
    app_port, http_port, tls_port = free_port(), free_port(), free_port()
    cert, key = _certificate(tmp_path)
    conf = _nginx_config(tmp_path, http_port, tls_port, app_port, cert, key)
    check = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    import sys

    web = subprocess.Popen([sys.executable, "-m", "pepflow.cli", "--db", url, "run", "--role", "web", "--port",
                            str(app_port)], cwd=ROOT, env=python_env(), stderr=subprocess.PIPE, text=True)
    proxy = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;"],
                             stderr=subprocess.PIPE, text=True)
    trusted = ssl.create_default_context(cafile=str(cert))
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                page = urllib.request.urlopen(f"https://127.0.0.1:{tls_port}/sign-in", context=trusted, timeout=5)
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert page.status == 200
        assert page.headers["Strict-Transport-Security"].startswith("max-age=")  # pepflow saw https
        assert "__Host-" in page.headers.get("Set-Cookie", "") and "Secure" in page.headers["Set-Cookie"]
        assert len(page.headers["X-Request-ID"]) == 32  # nginx's $request_id, passed through
        assert page.headers["Server"] == "nginx"  # no version (server_tokens off)
        redirect = urllib.request.Request(f"http://127.0.0.1:{http_port}/my-work")

        class NoFollow(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None
        with pytest.raises(urllib.error.HTTPError) as moved:
            urllib.request.build_opener(NoFollow).open(redirect, timeout=5)
        assert moved.value.code == 301 and moved.value.headers["Location"].startswith("https://")
        ready = urllib.request.urlopen(f"https://127.0.0.1:{tls_port}/readyz", context=trusted, timeout=5)
        assert ready.status == 200  # from the server itself
    finally:
        proxy.terminate()
        web.terminate()
        proxy.wait(10)
        web.wait(10)


def test_the_backup_script_makes_a_dated_backup_and_removes_old_ones(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    demo_database(url)
    folder = tmp_path / "backups"
    folder.mkdir()
    old = folder / "pepflow-20200101T000000Z.backup"
    old.write_text("old")
    os.utime(old, (time.time() - 30 * 86400,) * 2)
    env = {**python_env(), "PEPFLOW_DATABASE_URL": url, "PEPFLOW_BACKUP_DIR": str(folder), "PEPFLOW_BACKUP_DAYS": "14",
           "PATH": f"{Path(shutil.which('pepflow') or ROOT / '.venv/bin/pepflow').parent}:{os.environ['PATH']}"}
    done = subprocess.run(["bash", str(DEPLOY / "backup.sh")], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    made = sorted(p.name for p in folder.iterdir())
    assert not old.exists() and len(made) == 2 and made[0].endswith(".backup") and made[1].endswith(".backup.json")
    assert all(oct((folder / name).stat().st_mode & 0o777) == "0o600" for name in made)  # the owner's alone
    assert "UMask=0077" in (DEPLOY / "pepflow-backup.service").read_text()
    bad = subprocess.run(["bash", str(DEPLOY / "backup.sh")], env={**env, "PEPFLOW_BACKUP_DAYS": "a week"},
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "PEPFLOW_BACKUP_DAYS = 'a week'" in bad.stderr


def test_the_guides_postgresql_roles_keep_the_history_append_only_for_the_services(postgres_server, cli):
    import psycopg

    n = int(time.time() * 1000) % 100000
    owner, app, database = f"guide_owner_{n}", f"guide_app_{n}", f"guide_db_{n}"
    sql = ((DEPLOY / "postgres-roles.sql").read_text().replace("pepflow_owner", owner).replace("pepflow_app", app)
           .replace("DATABASE pepflow", f"DATABASE {database}").replace("\\connect pepflow", f"\\connect {database}"))
    script = Path(postgres_server.dir) / f"roles-{n}.sql"
    script.write_text(sql)
    os.chmod(script, 0o644)
    psql = shutil.which("psql")
    assert psql, "psql is needed (apt-get install postgresql-client)"
    done = subprocess.run([psql, "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(postgres_server.port),
                           "-U", "postgres", "-d", "postgres", "-f", str(script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    owner_url = f"postgresql://{owner}@127.0.0.1:{postgres_server.port}/{database}"
    app_url = f"postgresql://{app}@127.0.0.1:{postgres_server.port}/{database}"
    assert cli("--db", owner_url, "db", "upgrade")[0] == 0
    code, out, err = cli("--db", owner_url, "db", "grant", app)
    assert code == 0, err
    code, out, err = cli("--db", app_url, "--today", "2026-01-10", "import", "people",
                         str(ROOT / "tests" / "data" / "people.csv"))
    assert code == 0 and "7 added" in out, err  # the services' role records as usual
    with psycopg.connect(f"host=127.0.0.1 port={postgres_server.port} user={app} dbname={database}") as conn:
        for statement in ("UPDATE event SET name = 'forged'", "DELETE FROM event", "TRUNCATE event",
                          "CREATE TABLE mine (x int)"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
            conn.rollback()
