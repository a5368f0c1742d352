"""Privacy and safety of the software: no network at run time, specs parsed with
yaml.safe_load only and never evaluated, nothing recorded unless asked, what is written is
user-only, and the tuning server listens on 127.0.0.1 only."""

from __future__ import annotations

import ast
import os
import shutil
import socket
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fixtures_faults import REPO, need_ffmpeg, run_cli, sample, trim

PACKAGE = REPO / "coach"

# A sitecustomize that makes every socket impossible and notes each attempt in a file.
NO_NET = textwrap.dedent("""
    import os, socket
    _log = os.environ["COACH_TEST_NET_LOG"]
    class _NoNet(socket.socket):
        def __init__(self, *a, **k):
            with open(_log, "a") as fh:
                fh.write(f"socket{a}\\n")
            raise OSError("network disabled by the test")
    def _no(*a, **k):
        with open(_log, "a") as fh:
            fh.write(f"call{a}\\n")
        raise OSError("network disabled by the test")
    socket.socket = _NoNet
    socket.create_connection = _no
    socket.getaddrinfo = _no
    socket.socketpair = _no
""")


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    need_ffmpeg()
    return trim(sample("seated_rotation"), tmp_path_factory.mktemp("priv") / "sr.mp4", 4.0)


def _env_without_network(tmp_path: Path) -> dict:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(NO_NET)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")])
    env["COACH_TEST_NET_LOG"] = str(tmp_path / "net.log")
    env["COACH_HOME"] = str(tmp_path / "home")
    for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        env.pop(k, None)
    return env


def _unshare_net_ok() -> bool:
    return (os.geteuid() == 0 and shutil.which("unshare") is not None
            and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0)


def test_the_no_network_guard_works(tmp_path):
    """Control: the guard really stops a socket (otherwise the tests below prove nothing)."""
    env = _env_without_network(tmp_path)
    proc = subprocess.run([sys.executable, "-c", "import socket; socket.create_connection(('127.0.0.1', 9))"],
                          env=env, capture_output=True, text=True)
    assert proc.returncode != 0 and "network disabled by the test" in proc.stderr
    assert (tmp_path / "net.log").read_text().strip()


@pytest.mark.e2e
@pytest.mark.parametrize("how", ["sockets_refused", "unshare_net"])
def test_replay_and_live_run_with_networking_disabled(tmp_path, clip, how):
    """The real model on a real video with no network: no socket is even attempted."""
    env = _env_without_network(tmp_path)
    prefix: list[str] = []
    if how == "unshare_net":
        if not _unshare_net_ok():
            pytest.skip("needs root and unshare -n (a network namespace with no interfaces up)")
        prefix = ["unshare", "-n"]
        env.pop("PYTHONPATH")  # the namespace alone: no interface, not even loopback
        probe = subprocess.run(prefix + [sys.executable, "-c",
                                         "import socket; socket.create_connection(('127.0.0.1', 9), timeout=2)"],
                               capture_output=True, text=True)
        assert probe.returncode != 0 and "unreachable" in probe.stderr.lower(), probe.stderr
    cmds = [
        ["replay", str(clip), "-e", "seated_rotation", "--out", str(tmp_path / "o1"), "-q", "--video",
         "--record-landmarks", str(tmp_path / "r.npz")],
        ["live", "-e", "seated_rotation", "--camera", str(clip), "--no-window", "--out", str(tmp_path / "o2")],
        ["replay", str(tmp_path / "r.npz"), "-e", "seated_rotation", "--out", str(tmp_path / "o3"), "-q"],
        ["explain", "seated_rotation"],
    ]
    for cmd in cmds:
        proc = subprocess.run(prefix + [sys.executable, "-m", "coach", *cmd], env=env, capture_output=True,
                              text=True, timeout=300, cwd=tmp_path)
        assert proc.returncode == 0, (cmd, proc.stderr[-2000:])
    assert (tmp_path / "o1" / "summary.json").exists() and (tmp_path / "o2" / "summary.json").exists()
    log = tmp_path / "net.log"
    assert not log.exists() or not log.read_text().strip(), log.read_text()


# --------------------------------------------------------------------------- YAML and eval
def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
            owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""
            yield node, owner, name


def test_yaml_safe_load_only_and_no_eval_in_the_package():
    bad = []
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 20
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node, owner, name in _calls(tree):
            where = f"{path.relative_to(REPO)}:{node.lineno}"
            if owner == "yaml" and name in ("load", "load_all", "unsafe_load", "unsafe_load_all", "full_load",
                                            "full_load_all"):
                bad.append(f"{where} yaml.{name}")
            if owner == "" and name in ("eval", "exec", "compile", "__import__"):
                bad.append(f"{where} {name}()")
            if owner in ("pickle", "marshal", "shelve", "dill") and name in ("load", "loads"):
                bad.append(f"{where} {owner}.{name}")
            for kw in node.keywords:
                if kw.arg == "allow_pickle" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
                    bad.append(f"{where} allow_pickle not False")
                if kw.arg == "Loader":
                    bad.append(f"{where} a custom YAML Loader")
    assert not bad, bad


def test_python_tags_in_a_spec_or_profile_are_refused_not_run(capsys, tmp_path):
    marker = tmp_path / "pwned"
    payload = f'!!python/object/apply:os.system ["touch {marker}"]'
    spec = tmp_path / "evil_spec.yaml"
    spec.write_text(f"id: evil\nnames: {payload}\n", encoding="utf-8")
    profile = tmp_path / "evil_profile.yaml"
    profile.write_text(f"exercises:\n  seated_rotation: {payload}\n", encoding="utf-8")
    code, _o, err = run_cli(["check-spec", str(spec), str(profile)], capsys)
    assert code == 2 and "Traceback" not in err
    code, _o, err = run_cli(["explain", "seated_rotation", "--profile", str(profile)], capsys)
    assert code == 2 and "Traceback" not in err and err.startswith("coach: error:")
    assert not marker.exists()


# --------------------------------------------------------------------------- what is written
@pytest.mark.e2e
def test_nothing_recorded_unless_asked(tmp_path, clip):
    """A replay without --video / --record-landmarks writes exactly events + summary, in
    --out; nothing in the working folder or the home folder."""
    work = tmp_path / "work"
    work.mkdir()
    env = dict(os.environ, HOME=str(tmp_path / "home"), COACH_HOME=str(tmp_path / "coach_home"),
               XDG_DATA_HOME=str(tmp_path / "xdg"))
    proc = subprocess.run([sys.executable, "-m", "coach", "replay", str(clip), "-e", "seated_rotation",
                           "--out", str(tmp_path / "out"), "-q"], env=env, capture_output=True, text=True,
                          timeout=300, cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["events.jsonl", "summary.json"]
    written = [p for p in tmp_path.rglob("*") if p.is_file() and "out" not in p.relative_to(tmp_path).parts]
    # matplotlib (imported by mediapipe) caches the system's font list: no personal data
    written = [p for p in written if ".cache/matplotlib" not in p.as_posix()]
    assert not written, written


@pytest.mark.e2e
def test_outputs_are_user_only(tmp_path, clip):
    """Events, summary, annotated video (the person's picture) and the landmark recording
    are 0600 and a new output folder 0700, also with a permissive umask."""
    out = tmp_path / "new" / "out"
    rec = tmp_path / "rec.npz"
    proc = subprocess.run(["sh", "-c", f"umask 000 && exec {sys.executable} -m coach replay '{clip}' "
                           f"-e seated_rotation --out '{out}' -q --video --record-landmarks '{rec}'"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in [*out.iterdir(), rec]}
    assert modes == {"events.jsonl": 0o600, "summary.json": 0o600, "annotated.mp4": 0o600, "rec.npz": 0o600}, \
        {k: oct(v) for k, v in modes.items()}
    assert stat.S_IMODE(out.stat().st_mode) == 0o700


def test_screening_answers_and_session_report_are_user_only(tmp_path, monkeypatch):
    from coach.ui.report import ReportWriter
    from coach.session.safety import assess_screening, save_screening
    from coach.session.store import StateStore
    from coach.vocab import CONTRAINDICATIONS

    old = os.umask(0)
    try:
        store = StateStore(tmp_path / "home")
        answers = {tag: False for tag in CONTRAINDICATIONS}
        p = save_screening(store, answers, assess_screening(answers, {}))
        writer = ReportWriter(tmp_path / "reports", lang="en")
        j, h = writer.write({"format": "coach-session", "version": 1, "started_at": "2026-11-26T10:00:00",
                             "exercises": [], "ended_by": None})
    finally:
        os.umask(old)
    for f in (p, j, h):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, (f, oct(f.stat().st_mode))


# --------------------------------------------------------------------------- tune server
def test_tune_server_listens_on_loopback_only():
    from coach.tools.tune.server import HOST, TuneServer

    assert HOST == "127.0.0.1"
    server = TuneServer(None, port=0)  # the socket alone; no request is served here
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
        others = [a for a in _own_addresses() if not a.startswith("127.")]
        for addr in others:  # the machine's other addresses: nobody listens there
            with pytest.raises(OSError):
                socket.create_connection((addr, port), timeout=2).close()
    finally:
        server.server_close()


def _own_addresses() -> list[str]:
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [a for a in out.split() if "." in a]
