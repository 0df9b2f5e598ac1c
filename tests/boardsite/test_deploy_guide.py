"""
docs/deploy.md keeps working as written: its settings pass `check --deploy`, its nginx
configuration passes `nginx -t` and, for real, proxies logins and websockets to two daphne
processes started as its systemd unit starts them, on a port other than 443 (where `$host`
instead of `$http_host` broke every POST), without letting a client choose the address its
wrong passwords count against; each process answers its own /healthz probe.
"""

import datetime
import json
import os
import re
import secrets
import shlex
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from django.conf import settings
from django.test import SimpleTestCase, TransactionTestCase
from websockets.sync.client import connect

from bench.servers import DAPHNE, Server, base_environment, free_port
from bench.session import CSRF_INPUT
from tests.reliability.faults import postgres_url as database_url
from tests.support import PASSWORD, make_user, require_postgres, require_redis, skip_or_fail

ROOT = settings.BASE_DIR
GUIDE = (ROOT / "docs" / "deploy.md").read_text()
NGINX_CONF = (ROOT / "deploy" / "nginx" / "boardsite.conf").read_text()
UNIT = (ROOT / "deploy" / "systemd" / "boardsite@.service").read_text()
TIMEOUT = 20


def fenced_blocks(language):
    return re.findall(rf"^```{language}\n(.*?)^```", GUIDE, flags=re.M | re.S)


def guide_settings():
    """The settings file of the guide's step 3, with its $(...) and $DB_PASSWORD filled in."""
    for block in fenced_blocks("sh"):
        match = re.search(r"cat > /etc/boardsite/boardsite.env <<EOF\n(.*?)^EOF$", block, flags=re.M | re.S)
        if match:
            text = match.group(1).replace("$DB_PASSWORD", secrets.token_hex(24))
            text = re.sub(r"\$\((python3 -c '[^']*')\)", lambda m: run_shell(m.group(1)), text)
            values = {}
            for line in text.splitlines():
                if line and not line.startswith("#"):
                    key, _, value = line.partition("=")
                    values[key] = value
            return values
    raise AssertionError("docs/deploy.md has no settings file (cat > /etc/boardsite/boardsite.env <<EOF)")


def run_shell(command):
    return subprocess.run(["sh", "-c", command], capture_output=True, text=True, check=True).stdout.strip()


def cookie(headers, name):
    """The value a response's Set-Cookie headers give cookie `name`, or None."""
    for header in headers.get_all("Set-Cookie") or []:
        match = re.match(rf"{name}=([^;]*)", header)
        if match:
            return match.group(1)
    return None


def require_nginx():
    nginx = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)
    if nginx is None:
        skip_or_fail("nginx is not installed (apt-get install nginx-light)", service="nginx")
    return nginx


class GuideTextTests(SimpleTestCase):
    def test_the_guide_shows_the_shipped_nginx_configuration(self):
        self.assertEqual(fenced_blocks("nginx"), [NGINX_CONF])

    def test_the_guide_creates_the_database_before_migrating(self):
        text = GUIDE.index("createdb --owner boardsite boardsite")
        self.assertLess(text, GUIDE.index("manage migrate"))

    def test_the_guides_settings_pass_check_deploy_with_hsts_subdomains_and_preload_off(self):
        values = guide_settings()
        self.assertEqual(values["SECURE_HSTS_INCLUDE_SUBDOMAINS"], "false")
        self.assertEqual(values["SECURE_HSTS_PRELOAD"], "false")
        self.assertGreaterEqual(len(values["SECRET_KEY"]), 50)
        inherited = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
        result = subprocess.run(
            [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            env={**inherited, **values},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        self.assertEqual(result.returncode, 0, result.stderr + result.stdout)

    def test_the_systemd_units_verify(self):
        analyze = shutil.which("systemd-analyze")
        if analyze is None:
            self.skipTest("systemd-analyze is not installed")
        self.assertIn("--proxy-headers", UNIT)
        with tempfile.TemporaryDirectory() as folder:
            unit = Path(folder) / "boardsite@8001.service"
            unit.write_text(UNIT)
            target = Path(folder) / "boardsite.target"
            target.write_text((ROOT / "deploy" / "systemd" / "boardsite.target").read_text())
            result = subprocess.run(
                [analyze, "verify", "--man=no", str(unit), str(target)], capture_output=True, text=True, timeout=60
            )
        # The code is not installed under /srv/boardsite here; anything else is a mistake in the units.
        problems = [
            line
            for line in (result.stdout + result.stderr).splitlines()
            if line.strip() and "/srv/boardsite/.venv/bin/daphne is not executable" not in line
        ]
        self.assertEqual(problems, [])


def self_signed_certificate(folder):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = Path(folder) / "fullchain.pem", Path(folder) / "privkey.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


class UnitServer(Server):
    """A daphne process started with the systemd unit's ExecStart, %i being its port."""

    def start(self):
        self.port = free_port()
        exec_start = re.search(r"^ExecStart=(.*)$", UNIT, flags=re.M).group(1).replace("%i", str(self.port))
        command = shlex.split(exec_start)
        command[0] = DAPHNE  # /srv/boardsite/.venv/bin/daphne on the server
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.environment, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.wait_ready()
        return self


class NginxInFrontTests(TransactionTestCase):
    """The guide's nginx.conf and systemd unit, run for real on free ports with a throwaway certificate."""

    def setUp(self):
        self.nginx = require_nginx()
        self.folder = Path(tempfile.mkdtemp(prefix="boardsite-deploy-guide-"))
        self.addCleanup(shutil.rmtree, self.folder, ignore_errors=True)
        self.tls_port, self.http_port = free_port(), free_port()
        self.origin = f"https://localhost:{self.tls_port}"

    def nginx_config(self, upstream_ports):
        cert, key = self_signed_certificate(self.folder)
        site = NGINX_CONF.replace("boards.example.com", "localhost")
        site = site.replace("/etc/letsencrypt/live/localhost/fullchain.pem", str(cert))
        site = site.replace("/etc/letsencrypt/live/localhost/privkey.pem", str(key))
        site = re.sub(r"^\s*listen \[::\].*\n", "", site, flags=re.M)  # no IPv6 needed here
        site = site.replace("listen 443 ssl", f"listen 127.0.0.1:{self.tls_port} ssl")
        site = site.replace("listen 80;", f"listen 127.0.0.1:{self.http_port};")
        for shipped, port in zip((8001, 8002), upstream_ports):
            site = site.replace(f"server 127.0.0.1:{shipped};", f"server 127.0.0.1:{port};")
        (self.folder / "boardsite.conf").write_text(site)
        # What Debian's /etc/nginx/nginx.conf does around conf.d/*.conf, in a folder of our own.
        user = "user root;\n" if os.geteuid() == 0 else ""
        temp = "\n".join(f"    {kind}_temp_path {self.folder}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (self.folder / "nginx.conf").write_text(
            f"{user}pid {self.folder}/nginx.pid;\nerror_log {self.folder}/error.log;\n"
            f"events {{ worker_connections 256; }}\n"
            f"http {{\n    access_log {self.folder}/access.log;\n{temp}\n    include {self.folder}/boardsite.conf;\n}}\n"
        )
        return [self.nginx, "-p", str(self.folder), "-c", str(self.folder / "nginx.conf"), "-e", str(self.folder / "error.log")]

    def test_nginx_t_accepts_the_configuration(self):
        command = self.nginx_config((free_port(), free_port()))
        result = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 0, result.stderr)

    def start_servers(self):
        require_postgres()
        redis_url = require_redis()
        environment = {
            **base_environment(),
            **guide_settings(),
            "ALLOWED_HOSTS": "localhost",
            # The guide's value for this host: without the port, as on a server on 443. On any
            # other port POSTs then pass Django's origin check only if nginx passes the port on.
            "CSRF_TRUSTED_ORIGINS": "https://localhost",
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_url,
            # collectstatic has not run here: serve the static files from the finders.
            "WHITENOISE_USE_FINDERS": "true",
            "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
            "LOG_LEVEL": "WARNING",
        }
        servers = []
        for name in ("first", "second"):
            server = UnitServer(name=name, application="", environment=environment, log_dir=self.folder)
            server.start()
            self.addCleanup(server.stop)
            servers.append(server)
        return servers

    def start_nginx(self, servers):
        command = self.nginx_config([server.port for server in servers])
        started = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
        self.assertEqual(started.returncode, 0, started.stderr)
        nginx = subprocess.Popen([*command, "-g", "daemon off;"], stderr=subprocess.PIPE)
        self.addCleanup(nginx.wait, 10)
        self.addCleanup(nginx.terminate)
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                self.fetch("/healthz")
                return
            except OSError:
                self.assertIsNone(nginx.poll(), "nginx stopped")
                time.sleep(0.1)
        self.fail("nginx did not answer")

    def fetch(self, path, *, data=None, headers=None, port=None, scheme="https", host="localhost"):
        """(status, headers, body) of one request, without following redirects."""

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPSHandler(context=context))
        url = f"{scheme}://{host}:{port or self.tls_port}{path}"
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with opener.open(urllib.request.Request(url, data=body, headers=headers or {}), timeout=TIMEOUT) as answer:
                return answer.status, answer.headers, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode(errors="replace")

    def test_logging_in_and_drawing_through_nginx_on_a_port_other_than_443(self):
        make_user("alice")
        servers = self.start_servers()
        self.start_nginx(servers)

        # Plain HTTP on the guide's port 80 server block: redirected to HTTPS on 443.
        status, headers, _ = self.fetch("/accounts/login/", port=self.http_port, scheme="http")
        self.assertEqual((status, headers["Location"]), (301, "https://localhost/accounts/login/"))

        status, headers, page = self.fetch("/accounts/login/")
        self.assertEqual(status, 200)
        csrf = cookie(headers, "csrftoken")
        token = CSRF_INPUT.search(page).group(1)
        status, headers, body = self.fetch(
            "/accounts/login/",
            data={"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Origin": self.origin, "Referer": f"{self.origin}/accounts/login/", "Cookie": f"csrftoken={csrf}"},
        )
        self.assertEqual(status, 302, f"the login POST through nginx was refused: {body[:300]}")
        csrf = cookie(headers, "csrftoken") or csrf  # rotated at login
        cookies = f"csrftoken={csrf}; sessionid={cookie(headers, 'sessionid')}"

        status, _, body = self.fetch(
            "/whiteboard/new/",
            data={"name": "Behind nginx"},
            headers={"Origin": self.origin, "X-CSRFToken": csrf, "Cookie": cookies, "Accept": "application/json"},
        )
        self.assertEqual(status, 201, body[:300])
        slug = json.loads(body)["redirect"].strip("/").split("/")[-1]

        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        with connect(
            f"wss://localhost:{self.tls_port}/ws/whiteboard/{slug}/",
            origin=self.origin,
            additional_headers={"Cookie": cookies},
            ssl=context,
            open_timeout=TIMEOUT,
        ) as ws:
            hello = json.loads(ws.recv(timeout=TIMEOUT))
            self.assertEqual(hello["type"], "hello")
            ws.send(json.dumps({"type": "sync", "since": hello["seq"], "ref": "s"}))
            stroke = {"type": "stroke", "ref": 1, "id": "behind-nginx", "chunk": 0, "color": "#1971c2", "width": 6}
            ws.send(json.dumps({**stroke, "points": [[0.1, 0.2], [0.3, 0.4]]}))
            frames = []
            while not any(frame.get("type") == "ack" for frame in frames):
                frames.append(json.loads(ws.recv(timeout=TIMEOUT)))
            self.assertFalse([frame for frame in frames if frame.get("type") == "error"])

    def test_a_client_cannot_choose_the_address_its_wrong_passwords_count_against(self):
        """nginx sets X-Forwarded-For itself: one that the client sent would otherwise become its address."""
        make_user("alice")
        self.start_nginx(self.start_servers())
        status, headers, page = self.fetch("/accounts/login/")
        form_headers = {
            "Origin": self.origin,
            "Referer": f"{self.origin}/accounts/login/",
            "Cookie": f"csrftoken={cookie(headers, 'csrftoken')}",
        }
        token = CSRF_INPUT.search(page).group(1)
        for number in range(settings.AXES_FAILURE_LIMIT):
            status, _, _ = self.fetch(
                "/accounts/login/",
                data={"username": "alice", "password": "wrong", "csrfmiddlewaretoken": token},
                headers={**form_headers, "X-Forwarded-For": f"192.0.2.{number}"},
            )
        self.assertEqual(status, 429)
        status, _, body = self.fetch(
            "/accounts/login/",
            data={"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={**form_headers, "X-Forwarded-For": "192.0.2.200"},
        )
        self.assertEqual(status, 429, body[:300])
        self.assertIn("Too many wrong passwords", body)

    def test_each_process_answers_its_own_health_probe_under_the_guides_settings(self):
        servers = self.start_servers()
        for server in servers:
            with self.subTest(port=server.port):
                status, _, body = self.fetch("/healthz", port=server.port, scheme="http", host="127.0.0.1")
                self.assertEqual(status, 200, body[:300])
                self.assertEqual(json.loads(body)["status"], "ok")
                # Any other path on the same probe keeps the production checks.
                status, _, _ = self.fetch("/accounts/login/", port=server.port, scheme="http", host="127.0.0.1")
                self.assertEqual(status, 400)
