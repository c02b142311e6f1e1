"""The plugin's own behaviour, run in inner pytest sessions (pytester).

Needs a real cairn binary from CAIRN_BIN or PATH for the tests that start one.
"""

import os
import stat
import textwrap

import pytest

from pytest_cairn import CairnServer


def fake_binary(tmp_path, script):
    path = tmp_path / "fake-cairn"
    path.write_text("#!/bin/sh\n" + textwrap.dedent(script))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


USES_CAIRN = """
def test_uses_cairn(cairn):
    pass
"""


def test_missing_binary_says_how_to_install(pytester, monkeypatch):
    monkeypatch.setenv("CAIRN_BIN", "/nonexistent/cairn")
    monkeypatch.delenv("CAIRN_ENDPOINT", raising=False)
    pytester.makepyfile(USES_CAIRN)
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*CAIRN_BIN names '/nonexistent/cairn'*", "*cargo build --release -p cairn*"])


def test_no_binary_anywhere(pytester, monkeypatch, tmp_path):
    monkeypatch.delenv("CAIRN_BIN", raising=False)
    monkeypatch.delenv("CAIRN_ENDPOINT", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    pytester.makepyfile(USES_CAIRN)
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*No cairn binary found*", "*put `cairn` on PATH*"])


def test_server_that_exits_shows_its_output(pytester, monkeypatch, tmp_path):
    monkeypatch.delenv("CAIRN_ENDPOINT", raising=False)
    binary = fake_binary(tmp_path, "echo 'cairn: something went wrong' >&2\nexit 3\n")
    pytester.makepyfile(USES_CAIRN)
    result = pytester.runpytest(f"--cairn-bin={binary}")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*cairn exited with code 3 before it was ready*", "*cairn: something went wrong*"])


def test_start_timeout_shows_the_output(pytester, monkeypatch, tmp_path):
    monkeypatch.delenv("CAIRN_ENDPOINT", raising=False)
    binary = fake_binary(tmp_path, "echo 'still warming up' >&2\nexec sleep 30\n")
    pytester.makepyfile(USES_CAIRN)
    result = pytester.runpytest(f"--cairn-bin={binary}", "--cairn-start-timeout=0.5")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*did not answer GET http://127.0.0.1:*/ with 200 within 0.5 s*", "*still warming up*"])


def test_seed_option_and_reset(pytester, monkeypatch):
    monkeypatch.delenv("CAIRN_ENDPOINT", raising=False)
    seed = pytester.mkdir("seed")
    (seed / "things.table.json").write_text(
        '{"TableName": "things", "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],'
        ' "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}'
    )
    (seed / "things.jsonl").write_text('{"pk": {"S": "a"}}\n{"pk": {"S": "b"}}\n')
    pytester.makepyfile(
        """
        def count(cairn):
            return cairn.client().scan(TableName="things", Select="COUNT")["Count"]

        def test_a(cairn_clean):
            assert count(cairn_clean) == 2
            cairn_clean.client().delete_item(TableName="things", Key={"pk": {"S": "a"}})
            assert count(cairn_clean) == 1

        def test_b(cairn):
            assert count(cairn) == 2
        """
    )
    result = pytester.runpytest("--cairn-seed=seed")
    result.assert_outcomes(passed=2)


def test_seed_from_ini_is_relative_to_the_ini_file(pytester, monkeypatch):
    monkeypatch.delenv("CAIRN_ENDPOINT", raising=False)
    seed = pytester.mkdir("fixtures")
    (seed / "things.table.json").write_text(
        '{"TableName": "things", "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],'
        ' "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}'
    )
    pytester.makeini("[pytest]\ncairn_seed = fixtures\n")
    pytester.mkdir("sub")
    (pytester.path / "sub" / "test_x.py").write_text(
        "def test_x(cairn):\n    assert cairn.client().list_tables()['TableNames'] == ['things']\n"
    )
    monkeypatch.chdir(pytester.path / "sub")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)


def test_cairn_endpoint_uses_a_running_server(pytester, monkeypatch):
    with CairnServer.start() as server:
        server.admin.save("marker")
        monkeypatch.setenv("CAIRN_ENDPOINT", server.endpoint)
        monkeypatch.setenv("CAIRN_BIN", "/nonexistent/cairn")  # proves nothing is started
        pytester.makepyfile(
            f"""
            def test_x(cairn):
                assert cairn.endpoint == {server.endpoint!r}
                assert [s["name"] for s in cairn.snapshots()] == ["marker"]
            """
        )
        result = pytester.runpytest()
        result.assert_outcomes(passed=1)
        assert server.process.poll() is None, "the external server must be left running"


def test_server_is_stopped_at_session_end(pytester, monkeypatch):
    monkeypatch.delenv("CAIRN_ENDPOINT", raising=False)
    pytester.makepyfile(
        """
        import os, pytest
        def test_x(cairn_server):
            with open(os.environ["PIDFILE"], "w") as f:
                f.write(str(cairn_server.process.pid))
        """
    )
    pidfile = pytester.path / "pid"
    monkeypatch.setenv("PIDFILE", str(pidfile))
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    pid = int(pidfile.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_extra_server_flags(pytester, monkeypatch):
    monkeypatch.delenv("CAIRN_ENDPOINT", raising=False)
    pytester.makeini("[pytest]\ncairn_args = --virtual-clock\n")
    pytester.makepyfile(
        """
        import json, urllib.request
        def test_clock(cairn):
            with urllib.request.urlopen(cairn.endpoint + "/_cairn/clock") as r:
                assert "offsetSeconds" in json.load(r)
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
