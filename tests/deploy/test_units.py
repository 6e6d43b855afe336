"""deploy/: the systemd units start commands the CLI accepts, read the environment files, and
pass ``systemd-analyze verify``; the environment template names exactly the secret variables
the config names; the PostgreSQL example config loads and points at the inference server."""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.config import Config, load_config

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
UNITS = DEPLOY / "systemd"
INSTALL_DIR = "/opt/tactline"
CONFIG_PATH = "/etc/tactline/config.toml"
TACTLINE_UNITS = ("tactline.service", "tactline-worker@.service")
# A name the env template holds that no config key names: libpq reads it by itself.
LIBPQ_VARIABLES = {"PGPASSWORD"}

Unit = dict[str, list[tuple[str, str]]]


def read_unit(path: Path) -> Unit:
    """A unit file as {section: [(key, value), ...]}: repeated keys kept in order, backslash
    continuations joined, comments dropped (systemd's own syntax, which configparser's is not
    quite)."""
    unit: Unit = {}
    section = ""
    pending = ""
    for raw in path.read_text().splitlines():
        line = pending + raw.strip()
        pending = ""
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            unit.setdefault(section, [])
            continue
        key, sep, value = line.partition("=")
        assert sep and section, f"{path.name}: not a key=value line in a section: {raw!r}"
        unit[section].append((key.strip(), value.strip()))
    return unit


def values(unit: Unit, section: str, key: str) -> list[str]:
    return [v for k, v in unit.get(section, []) if k == key]


def one(unit: Unit, section: str, key: str) -> str:
    found = values(unit, section, key)
    assert len(found) == 1, f"[{section}] {key}: expected one, found {found}"
    return found[0]


def exec_start(name: str) -> list[str]:
    return shlex.split(one(read_unit(UNITS / name), "Service", "ExecStart"))


def env_template_names(path: Path) -> dict[str, str]:
    """NAME -> value for each assignment line of an environment file."""
    names = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, sep, value = line.partition("=")
            assert sep, f"{path.name}: not NAME=value: {line!r}"
            names[name.strip()] = value
    return names


def config_secret_names() -> set[str]:
    """Every secret variable the config can name: bot/config.py's defaults, the ones
    config.toml shows (commented out or not), and the deploy example's."""
    names = set(Config().secret_env_names())
    names |= set(load_config(DEPLOY / "config.postgres.toml").secret_env_names())
    shipped = (REPO / "config.toml").read_text()
    names |= set(re.findall(r'^[#\s]*\w+_env\s*=\s*"([A-Z0-9_]+)"', shipped, re.MULTILINE))
    return names


def test_every_unit_parses_and_reads_its_environment_file() -> None:
    units = sorted(UNITS.glob("*.service"))
    assert [u.name for u in units] == sorted([*TACTLINE_UNITS, "tactline-inference.service"])
    for path in units:
        unit = read_unit(path)
        assert one(unit, "Unit", "Description")
        assert one(unit, "Install", "WantedBy") == "multi-user.target"
        assert one(unit, "Service", "User") == "tactline"
        assert one(unit, "Service", "Restart") in ("on-failure", "always")
        env_file = one(unit, "Service", "EnvironmentFile")
        assert env_file.startswith("/etc/tactline/") and not env_file.startswith("-")


@pytest.mark.parametrize(
    ("name", "command"), [("tactline.service", "run"), ("tactline-worker@.service", "worker")]
)
def test_tactline_units_run_the_console_script_with_flags_the_cli_accepts(
    name: str, command: str
) -> None:
    argv = exec_start(name)
    assert argv[0] == f"{INSTALL_DIR}/.venv/bin/tactline"
    scripts = importlib.metadata.entry_points(group="console_scripts", name="tactline")
    assert [s.value for s in scripts] == ["bot.cli:main"]  # the script the venv installs
    args = build_parser().parse_args(argv[1:])
    assert args.command == command and str(args.config) == CONFIG_PATH
    assert one(read_unit(UNITS / name), "Service", "EnvironmentFile") == (
        "/etc/tactline/tactline.env"
    )


def test_the_inference_unit_runs_llamacpp_server_with_flags_it_accepts() -> None:
    argv = exec_start("tactline-inference.service")
    assert argv[:3] == [f"{INSTALL_DIR}/.venv/bin/python", "-m", "llama_cpp.server"]
    if importlib.util.find_spec("pydantic_settings") is None:
        pytest.skip("llama_cpp.server's flags need its `server` extra (pydantic-settings)")
    from llama_cpp.server.cli import add_args_from_model
    from llama_cpp.server.settings import Settings

    parser = argparse.ArgumentParser(exit_on_error=False)  # the parser its __main__ builds
    add_args_from_model(parser, Settings)
    parser.add_argument("--config_file", type=str)
    args = parser.parse_args(argv[3:])
    config = load_config(DEPLOY / "config.postgres.toml")
    drafter = config.models.drafter
    assert args.model == f"/var/lib/tactline/models/{drafter.model}.gguf"
    assert Path(args.model).parent == config.resolve(drafter.cache_dir)  # where pull puts it
    assert args.model_alias == drafter.model
    assert drafter.url == f"http://{args.host}:{args.port}/v1"
    assert args.interrupt_requests is False and args.api_key is None  # the key: from env


def test_the_env_template_names_exactly_the_secrets_the_config_names() -> None:
    template = env_template_names(DEPLOY / "tactline.env.example")
    assert set(template) == config_secret_names() | LIBPQ_VARIABLES
    assert all(value == "" for value in template.values()), "no value in a template"
    inference = env_template_names(DEPLOY / "inference.env.example")
    assert inference == {"API_KEY": ""}
    unit = read_unit(UNITS / "tactline-inference.service")
    assert one(unit, "Service", "EnvironmentFile") == "/etc/tactline/inference.env"


def test_the_postgres_example_config_loads() -> None:
    config = load_config(DEPLOY / "config.postgres.toml")
    assert config.database.url.startswith("postgresql+psycopg://")
    assert ":" not in config.database.url.split("@")[0].removeprefix("postgresql+psycopg://")
    assert config.models.drafter.backend == "openai" and config.models.drafter.url
    assert config.models.drafter.api_key_env == "TACTLINE_LLM_API_KEY"
    assert config.logging.format == "json"
    assert config.policies.path == "/etc/tactline/policies"


def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian: apt-get install systemd)")
    venv_bin = REPO / ".venv" / "bin"
    if not (venv_bin / "tactline").is_file():
        pytest.skip(f"no tactline console script in {venv_bin} (run `make setup`)")
    etc = tmp_path / "etc"
    etc.mkdir()
    for env in ("tactline.env", "inference.env"):
        (etc / env).write_text("")
    installed = []
    for path in sorted(UNITS.glob("*.service")):
        # the paths the units name, pointed at this checkout and a scratch /etc/tactline
        text = path.read_text().replace(f"{INSTALL_DIR}/.venv/bin", str(venv_bin))
        target = tmp_path / path.name
        target.write_text(text.replace("/etc/tactline", str(etc)))
        installed.append(str(target).replace("@.service", "@1.service"))
    done = subprocess.run(
        [analyze, "verify", "--man=no", *installed],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    complaints = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        # verify outside a booted systemd (a container, CI) says so: not about our units
        if line.strip() and "tactline" in line
    ]
    assert done.returncode == 0 and not complaints, done.stdout + done.stderr
