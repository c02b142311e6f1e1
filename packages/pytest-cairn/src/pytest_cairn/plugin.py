"""The pytest plugin: options, the `cairn_server`, `cairn` and `cairn_clean` fixtures, the `cairn_clean` marker."""

from __future__ import annotations

import os
import shlex
import warnings
from pathlib import Path
from typing import Optional

import pytest

from .server import Cairn, CairnError, CairnServer


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cairn", "Cairn (DynamoDB-compatible test server)")
    group.addoption(
        "--cairn-bin",
        dest="cairn_bin",
        default=None,
        help="path of the cairn binary (default: $CAIRN_BIN, else `cairn` on PATH)",
    )
    group.addoption(
        "--cairn-seed",
        dest="cairn_seed",
        default=None,
        metavar="DIR",
        help="fixtures to load at start and on every reset: *.table.json CreateTable requests, TABLE.jsonl items",
    )
    group.addoption(
        "--cairn-start-timeout",
        dest="cairn_start_timeout",
        default=None,
        type=float,
        metavar="SECONDS",
        help="how long to wait for the server to answer (default 15)",
    )
    group.addoption(
        "--cairn-args",
        dest="cairn_args",
        default=None,
        metavar="ARGS",
        help="more `cairn serve` flags, e.g. '--virtual-clock --ttl-sweep-interval-ms 50'",
    )
    parser.addini("cairn_args", "more `cairn serve` flags (shell-quoted)", default="")
    parser.addini("cairn_bin", "path of the cairn binary (relative to the ini file)", default="")
    parser.addini("cairn_seed", "seed directory (relative to the ini file)", default="")
    parser.addini("cairn_start_timeout", "seconds to wait for the server to answer", default="15")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "cairn_clean: reset the Cairn server (drop all tables, reload the seed) after this test",
    )


def _ini_path(config: pytest.Config, name: str) -> Optional[str]:
    """An ini value naming a path, relative to the ini file's directory.

    A bare `cairn_bin` name with no slash (e.g. `cairn`) is left for the PATH lookup.
    """
    value = config.getini(name)
    if not value:
        return None
    if name == "cairn_bin" and "/" not in value and os.sep not in value:
        return value
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = (config.inipath.parent if config.inipath else config.rootpath) / path
    return str(path)


def _settings(config: pytest.Config):
    bin_ = config.getoption("cairn_bin") or _ini_path(config, "cairn_bin")
    seed = config.getoption("cairn_seed") or _ini_path(config, "cairn_seed")
    timeout = config.getoption("cairn_start_timeout")
    if timeout is None:
        timeout = float(config.getini("cairn_start_timeout") or 15)
    args = shlex.split(config.getoption("cairn_args") or config.getini("cairn_args") or "")
    return bin_, seed, timeout, args


@pytest.fixture(scope="session")
def cairn_server(request: pytest.FixtureRequest):
    """One Cairn server for the whole session (per xdist worker): started on a free port, stopped at the end.

    With CAIRN_ENDPOINT set, that server is used instead and nothing is started or stopped.
    """
    bin_, seed, timeout, args = _settings(request.config)
    endpoint = os.environ.get("CAIRN_ENDPOINT")
    if endpoint:
        server = CairnServer.external(endpoint)
        if seed:
            warnings.warn(
                f"CAIRN_ENDPOINT is set, so the seed {seed!r} is not loaded: "
                "reset() reloads the seed that server was started with",
                stacklevel=1,
            )
        if not server.admin.is_ready():
            pytest.fail(f"CAIRN_ENDPOINT={endpoint}: no Cairn server answers GET / with 200", pytrace=False)
        yield server
        return
    try:
        server = CairnServer.start(bin=bin_, seed=seed, timeout=timeout, extra_args=args)
    except CairnError as err:
        failure = f"pytest-cairn could not start Cairn: {err}"
    else:
        failure = None
    if failure:
        pytest.fail(failure, pytrace=False)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def cairn(cairn_server: CairnServer) -> Cairn:
    """The session's Cairn server: `.endpoint`, `.client()`, `.resource()`, `.reset()`, `.save(n)`, `.restore(n)`."""
    return Cairn(cairn_server)


@pytest.fixture
def cairn_clean(cairn: Cairn):
    """Like `cairn`, and the server is reset (no tables, seed reloaded) after the test."""
    yield cairn
    cairn.reset()


@pytest.fixture(autouse=True)
def _cairn_clean_marker(request: pytest.FixtureRequest):
    """`@pytest.mark.cairn_clean` (on a test, class or module) does what the `cairn_clean` fixture does."""
    if request.node.get_closest_marker("cairn_clean") is None:
        yield
        return
    server: CairnServer = request.getfixturevalue("cairn_server")
    yield
    server.admin.reset()
