"""Settings that cannot work are refused before anything starts, in one line that names the
setting and what it must be: a config file that is missing, not TOML, or gives a setting a
value of another type; a value out of range, from the file or a flag; a data dir that cannot
be a folder. What can work is taken: an integer for a number of seconds, a log level in
capitals. The host agent and the depot server refuse a bad URL, port, count or token file alike."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from vlcmsim.config import ConfigError, Settings, load_config_file, problem


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('[server]\nport = "8443"\n', "[server] port must be an integer, not '8443'"),
        ("[server]\ntls = 1\n", "[server] tls must be true or false, not 1"),
        ("[server]\nsim_time_scale = true\n", "[server] sim_time_scale must be a number, not True"),
        ("[server]\nadvertise_host = 5\n", "[server] advertise_host must be a string, not 5"),
        ("[server\n", "Expected ']' at the end of a table declaration"),
        ("server = 3\n", "[server] must be a table"),
    ],
)
def test_a_config_file_that_cannot_work_is_refused_naming_what_is_wrong(tmp_path: Path, text: str, said: str) -> None:
    config = tmp_path / "vlcmsim.toml"
    config.write_text(text)
    with pytest.raises(ConfigError) as refused:
        load_config_file(config, Settings(data_dir=tmp_path))
    assert said in str(refused.value)


def test_what_can_work_is_taken(tmp_path: Path) -> None:
    config = tmp_path / "vlcmsim.toml"
    config.write_text('[server]\nsim_time_scale = 1\nlog_level = "INFO"\nadvertise_host = "vc.example"\n')
    settings = load_config_file(config, Settings(data_dir=tmp_path))
    assert settings.sim_time_scale == 1.0 and isinstance(settings.sim_time_scale, float)
    assert problem(settings) is None


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"port": 70000}, "port must be from 1 to 65535, not 70000"),
        ({"depot_port": -2}, "depot_port must be from 1 to 65535, 0 (any free port) or -1 (none), not -2"),
        ({"workers": 0}, "workers must be more than 0, not 0"),
        ({"host_stage_timeout_seconds": 0.0}, "host_stage_timeout_seconds must be more than 0, not 0.0"),
        ({"reboot_seconds": -1.0}, "reboot_seconds must not be negative, not -1.0"),
        ({"server": "hypercorn"}, "server must be granian or uvicorn, not 'hypercorn'"),
        ({"default_payload_bytes": 0}, "default_payload_bytes must be from 1 byte to 1 GiB, not 0"),
    ],
)
def test_a_value_out_of_range_is_refused(tmp_path: Path, changes: dict[str, object], said: str) -> None:
    assert problem(Settings(data_dir=tmp_path, **changes)) == said  # type: ignore[arg-type]


def test_a_data_dir_that_cannot_be_a_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    assert problem(Settings(data_dir=tmp_path / "a-file")) == f"data dir {tmp_path / 'a-file'}: File exists"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--config", "missing.toml"], "vlcmsim: config file missing.toml: No such file or directory"),
        (["--port", "99999"], "vlcmsim: port must be from 1 to 65535, not 99999"),
    ],
)
def test_serve_refuses_in_one_line_and_starts_nothing(tmp_path: Path, args: list[str], said: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "vlcmsim.cli", "serve", "--data-dir", str(tmp_path / "data"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert (done.returncode, done.stderr.strip()) == (1, said)
    assert not (tmp_path / "data").exists() or not any((tmp_path / "data").iterdir())


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["hosts", "run", "--server", "vc.example", "--token-file", "token"], "--server takes https:// (or http://)"),
        (["hosts", "run", "--server", "https://vc", "--token-file", "missing"], "token file missing: No such file"),
        (["hosts", "run", "--server", "https://vc", "--token-file", "token", "--max-downloads", "0"], "more than 0"),
        (["depot", "serve", "--port", "99999", "."], "a port is from 1 to 65535, not '99999'"),
    ],
)
def test_the_other_commands_refuse_bad_input_in_one_line(tmp_path: Path, args: list[str], said: str) -> None:
    (tmp_path / "token").write_text("a-token\n")
    done = subprocess.run(
        [sys.executable, "-m", "vlcmsim.cli", *args], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert done.returncode in (1, 2) and said in done.stderr.splitlines()[-1], done.stderr
    assert "Traceback" not in done.stderr
