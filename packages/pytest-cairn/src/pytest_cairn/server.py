"""Start, stop and drive a Cairn server. Standard library only (boto3 is imported lazily)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, List, Optional, Sequence

REGION = "us-east-1"
ACCESS_KEY_ID = "cairn"
SECRET_ACCESS_KEY = "cairn"

INSTALL_HINT = (
    "Point pytest-cairn at a cairn binary in one of these ways:\n"
    "  * set CAIRN_BIN=/path/to/cairn (or pass --cairn-bin, or set cairn_bin in the ini file);\n"
    "  * put `cairn` on PATH;\n"
    "  * set CAIRN_ENDPOINT=http://127.0.0.1:8000 to use a server that is already running.\n"
    "To build one from the Cairn repository: `cargo build --release -p cairn` "
    "(the binary is target/release/cairn), or `cargo install --path crates/cairn`."
)


class CairnError(Exception):
    """A Cairn server could not be found, started, or refused an admin request."""


def find_binary(explicit: Optional[str] = None) -> str:
    """The cairn binary: `explicit`, else $CAIRN_BIN, else `cairn` on PATH."""
    for source, value in (("the cairn_bin option", explicit), ("CAIRN_BIN", os.environ.get("CAIRN_BIN"))):
        if value:
            path = shutil.which(value) if os.sep not in value else value
            if path and os.path.isfile(path) and os.access(path, os.X_OK):
                return os.path.abspath(path)
            raise CairnError(f"{source} names {value!r}, which is not an executable file.\n{INSTALL_HINT}")
    found = shutil.which("cairn")
    if found:
        return found
    raise CairnError(f"No cairn binary found (CAIRN_BIN is not set and `cairn` is not on PATH).\n{INSTALL_HINT}")


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now: bind port 0, read it, close."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class Admin:
    """Cairn's test admin API (`/_cairn/...`) at one endpoint."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint.rstrip("/")

    def _call(self, method: str, path: str, what: str) -> Dict[str, Any]:
        request = urllib.request.Request(self.endpoint + path, data=b"" if method == "POST" else None, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                body = response.read()
        except urllib.error.HTTPError as err:
            raw = err.read().decode("utf-8", "replace")
            try:
                parsed = json.loads(raw)
                kind = str(parsed.get("__type", "")).rsplit("#", 1)[-1] or f"HTTP {err.code}"
                message = parsed.get("message") or parsed.get("Message") or raw
            except ValueError:
                kind, message = f"HTTP {err.code}", raw
            raise CairnError(f"{what} failed ({method} {self.endpoint}{path}): {kind}: {message}") from None
        except urllib.error.URLError as err:
            raise CairnError(f"{what} failed: no Cairn server answers at {self.endpoint} ({err.reason})") from None
        try:
            return json.loads(body) if body else {}
        except ValueError:
            raise CairnError(f"{what}: {method} {self.endpoint}{path} answered non-JSON: {body[:200]!r}") from None

    @staticmethod
    def _name(name: str) -> str:
        return urllib.parse.quote(name, safe="")

    def reset(self) -> Dict[str, Any]:
        """Drop every table, then load the server's --seed fixtures again. Snapshots are kept."""
        return self._call("POST", "/_cairn/reset", "reset")

    def save(self, name: str) -> Dict[str, Any]:
        """Save the whole server state (tables, items, indexes, streams) as snapshot `name`."""
        return self._call("POST", f"/_cairn/snapshots/{self._name(name)}", f"save snapshot {name!r}")

    def restore(self, name: str) -> Dict[str, Any]:
        """Put the state saved as `name` back (the snapshot stays)."""
        return self._call("POST", f"/_cairn/snapshots/{self._name(name)}/restore", f"restore snapshot {name!r}")

    def delete_snapshot(self, name: str) -> Dict[str, Any]:
        return self._call("DELETE", f"/_cairn/snapshots/{self._name(name)}", f"delete snapshot {name!r}")

    def snapshots(self) -> List[Dict[str, Any]]:
        """[{"name", "savedAt", "tables"}, ...]"""
        return self._call("GET", "/_cairn/snapshots", "list snapshots").get("snapshots", [])

    def is_ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.endpoint + "/", timeout=1) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False


class CairnServer:
    """A Cairn server: one this process started (`start`), or one already running (`external`)."""

    def __init__(self, endpoint: str, process: Optional[subprocess.Popen] = None, log_path: Optional[str] = None):
        self.endpoint = endpoint.rstrip("/")
        self.port = urllib.parse.urlsplit(self.endpoint).port
        self.process = process
        self.log_path = log_path
        self.admin = Admin(self.endpoint)

    @classmethod
    def external(cls, endpoint: str) -> "CairnServer":
        return cls(endpoint)

    @classmethod
    def start(
        cls,
        bin: Optional[str] = None,
        seed: Optional[str] = None,
        port: Optional[int] = None,
        extra_args: Sequence[str] = (),
        timeout: float = 15.0,
    ) -> "CairnServer":
        """Start `cairn serve --in-memory` on `port` (a free one if None) and wait until it answers."""
        binary = find_binary(bin)
        if seed is not None and not os.path.isdir(seed):
            raise CairnError(f"the seed directory {seed!r} does not exist")
        attempts = 1 if port else 3
        last_error: Optional[CairnError] = None
        for _ in range(attempts):
            try:
                return cls._start_once(binary, seed, port or free_port(), extra_args, timeout)
            except _PortTaken as err:  # another process took the free port between our probe and cairn's bind
                last_error = err
        assert last_error is not None
        raise last_error

    @classmethod
    def _start_once(cls, binary, seed, port, extra_args, timeout) -> "CairnServer":
        args = [binary, "serve", "--in-memory", "--host", "127.0.0.1", "--port", str(port)]
        if seed is not None:
            args += ["--seed", os.path.abspath(seed)]
        args += list(extra_args)
        fd, log_path = tempfile.mkstemp(prefix="cairn-", suffix=".log")
        with os.fdopen(fd, "wb") as log:
            try:
                process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            except OSError as err:
                os.unlink(log_path)
                raise CairnError(f"could not run {binary}: {err}\n{INSTALL_HINT}") from None
        server = cls(f"http://127.0.0.1:{port}", process, log_path)
        deadline = time.monotonic() + timeout
        while True:
            code = process.poll()
            if code is not None:
                output = server.output()
                server._forget_log()
                message = f"cairn exited with code {code} before it was ready.\ncommand: {' '.join(args)}\noutput:\n{output}"
                if "in use" in output.lower():
                    raise _PortTaken(message)
                raise CairnError(message)
            if server.admin.is_ready():
                return server
            if time.monotonic() > deadline:
                server.stop()
                output = server.output()
                server._forget_log()
                raise CairnError(
                    f"cairn did not answer GET {server.endpoint}/ with 200 within {timeout:g} s.\n"
                    f"command: {' '.join(args)}\noutput:\n{output}"
                )
            time.sleep(0.02)

    def output(self) -> str:
        """What the server has written to stdout and stderr so far (started servers only)."""
        if not self.log_path or not os.path.exists(self.log_path):
            return ""
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def _forget_log(self) -> None:
        if self.log_path and os.path.exists(self.log_path):
            os.unlink(self.log_path)
        self.log_path = None

    def stop(self, timeout: float = 5.0) -> Optional[int]:
        """SIGTERM, wait up to `timeout` s, then SIGKILL. Returns the exit code (None if not ours)."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def close(self) -> None:
        """Stop the server and delete its log."""
        self.stop()
        self._forget_log()

    def __enter__(self) -> "CairnServer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        kind = f"pid {self.process.pid}" if self.process else "external"
        return f"<CairnServer {self.endpoint} ({kind})>"


class _PortTaken(CairnError):
    pass


class Cairn:
    """What the `cairn` fixture gives a test: the endpoint, SDK clients and the admin calls."""

    def __init__(self, server: CairnServer):
        self.server = server
        self.endpoint = server.endpoint
        self.region = REGION
        self._session = None

    @property
    def port(self) -> Optional[int]:
        return self.server.port

    def _boto3_session(self):
        if self._session is None:
            try:
                import boto3
            except ImportError:
                raise CairnError("cairn.client() and cairn.resource() need boto3: pip install boto3") from None
            self._session = boto3.session.Session(
                aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY, region_name=REGION
            )
        return self._session

    def client(self, service_name: str = "dynamodb", **kwargs):
        """A boto3 client for Cairn (`dynamodb` or `dynamodbstreams`); kwargs go to boto3."""
        kwargs.setdefault("endpoint_url", self.endpoint)
        return self._boto3_session().client(service_name, **kwargs)

    def resource(self, service_name: str = "dynamodb", **kwargs):
        """A boto3 resource (`boto3.resource("dynamodb")`) for Cairn."""
        kwargs.setdefault("endpoint_url", self.endpoint)
        return self._boto3_session().resource(service_name, **kwargs)

    def reset(self) -> Dict[str, Any]:
        return self.server.admin.reset()

    def save(self, name: str) -> Dict[str, Any]:
        return self.server.admin.save(name)

    def restore(self, name: str) -> Dict[str, Any]:
        return self.server.admin.restore(name)

    def delete_snapshot(self, name: str) -> Dict[str, Any]:
        return self.server.admin.delete_snapshot(name)

    def snapshots(self) -> List[Dict[str, Any]]:
        return self.server.admin.snapshots()

    def __repr__(self) -> str:
        return f"<Cairn {self.endpoint}>"
