"""gunicorn.conf.py: each instance (port, instance folder) has its own control socket, not the shared one."""
import runpy
from pathlib import Path

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def _settings(monkeypatch, **env):
    for name in ("PORT", "INSTANCE_PATH", "GUNICORN_CONTROL_SOCKET"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def test_each_instance_has_its_own_control_socket(monkeypatch, tmp_path):
    from gunicorn.config import Config

    default = Config().control_socket
    first = _settings(monkeypatch, PORT="8001", INSTANCE_PATH=str(tmp_path / "a"))
    second = _settings(monkeypatch, PORT="8002", INSTANCE_PATH=str(tmp_path / "a"))
    elsewhere = _settings(monkeypatch, PORT="8001", INSTANCE_PATH=str(tmp_path / "b"))
    paths = {first["control_socket"], second["control_socket"], elsewhere["control_socket"]}
    assert len(paths) == 3 and default not in paths
    assert first["control_socket"] == str(tmp_path / "a" / "gunicorn-8001.ctl")
    assert first["bind"] == "127.0.0.1:8001"
    plain = _settings(monkeypatch)
    assert plain["control_socket"] == str(CONF.parent / "instance" / "gunicorn-8000.ctl")
    assert len(plain["control_socket"].encode()) < 104  # a Unix socket path's limit (sun_path)
    chosen = _settings(monkeypatch, GUNICORN_CONTROL_SOCKET="/run/qc/app.ctl")
    assert chosen["control_socket"] == "/run/qc/app.ctl"


def test_the_setting_exists_in_the_pinned_gunicorn():
    from gunicorn.config import KNOWN_SETTINGS

    assert "control_socket" in {setting.name for setting in KNOWN_SETTINGS}
