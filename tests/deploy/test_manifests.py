"""Safety properties of the deployment files, checked by parsing them (no cluster, no Docker).

Kubernetes manifests under deploy/k8s and the docker compose files under deploy/compose: the
Python containers are locked down, secrets never appear as literals, vLLM is reachable from
the gateway only and never exposed, the gateway gets time to flush its records on SIGTERM,
beat runs exactly once, every image has an explicit tag.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE = DEPLOY / "compose"
NAMESPACE = "modelgate"

# Names of environment variables that hold secrets.
SECRET_NAME = re.compile(r"KEY|TOKEN|PASSWORD|SECRET|DATABASE_URL|BROKER_URL")
# The labels every manifest uses.
NAME = "app.kubernetes.io/name"
COMPONENT = "app.kubernetes.io/component"
GATEWAY_LABELS = {NAME: "modelgate", COMPONENT: "gateway"}
# Files of deploy/k8s that kustomization.yaml leaves out on purpose.
NOT_IN_KUSTOMIZATION = {"secret.example.yaml", "migrate-job.yaml"}
PYTHON_WORKLOADS = {"web", "gateway", "worker", "beat", "migrate", "audit-verify"}
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"}

Doc = dict[str, Any]


# --- loading ------------------------------------------------------------------------------


class ComposeLoader(yaml.SafeLoader):
    """SafeLoader plus docker compose's merge tags (``!reset``, ``!override``), read as plain values."""


def _compose_tag(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


ComposeLoader.add_constructor("!reset", _compose_tag)
ComposeLoader.add_constructor("!override", _compose_tag)


def k8s_files() -> list[Path]:
    return sorted(K8S.glob("*.yaml"))


def compose_files() -> list[Path]:
    return sorted(COMPOSE.glob("*.yaml"))


@cache
def k8s_docs() -> tuple[tuple[str, Doc], ...]:
    docs = []
    for path in k8s_files():
        if path.name == "kustomization.yaml":
            continue
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc:
                docs.append((path.name, doc))
    return tuple(docs)


def deployed_docs() -> list[Doc]:
    """What `kubectl apply` creates: everything but the example Secret."""
    return [doc for name, doc in k8s_docs() if name != "secret.example.yaml"]


@cache
def compose_docs() -> dict[str, Doc]:
    return {path.name: yaml.load(path.read_text(encoding="utf-8"), Loader=ComposeLoader) for path in compose_files()}  # noqa: S506  (a SafeLoader subclass)


def of_kind(kind: str) -> list[Doc]:
    return [doc for doc in deployed_docs() if doc.get("kind") == kind]


def named(kind: str, name: str) -> Doc:
    found = [doc for doc in of_kind(kind) if doc["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} named {name}, found {len(found)}"
    return found[0]


# --- pods, containers, images ---------------------------------------------------------------


def pod_template(doc: Doc) -> Doc:
    """The pod template ({metadata, spec}) of a workload."""
    if doc["kind"] == "Pod":
        return doc
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]
    return doc["spec"]["template"]


def workloads() -> list[Doc]:
    return [doc for _, doc in k8s_docs() if doc.get("kind") in WORKLOAD_KINDS]


def containers(pod_spec: Doc) -> list[Doc]:
    return [*pod_spec.get("initContainers", []), *pod_spec.get("containers", [])]


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """repository, tag, digest of an image reference."""
    digest = None
    if "@" in image:
        image, digest = image.split("@", 1)
    repository, tag = image, None
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        repository, tag = image.rsplit(":", 1)
    return repository, tag, digest


def is_modelgate_image(image: str) -> bool:
    return split_image(image)[0].rsplit("/", 1)[-1] == "modelgate"


def is_vllm_image(image: str) -> bool:
    return split_image(image)[0].rsplit("/", 1)[-1].startswith("vllm-openai")


def python_workloads() -> list[Doc]:
    return [
        doc for doc in workloads() if any(is_modelgate_image(c["image"]) for c in containers(pod_template(doc)["spec"]))
    ]


def vllm_workloads() -> list[Doc]:
    return [doc for doc in workloads() if any(is_vllm_image(c["image"]) for c in containers(pod_template(doc)["spec"]))]


def component(doc: Doc) -> str:
    return pod_template(doc)["metadata"]["labels"][COMPONENT]


def workload(component_name: str) -> Doc:
    found = [doc for doc in python_workloads() if component(doc) == component_name]
    assert len(found) == 1, f"expected one workload for {component_name}, found {len(found)}"
    return found[0]


def selector_matches(selector: Doc | None, labels: dict[str, str]) -> bool:
    """Kubernetes label-selector semantics; an empty selector matches everything."""
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def vllm_pod_labels() -> list[dict[str, str]]:
    labels = [pod_template(doc)["metadata"]["labels"] for doc in vllm_workloads()]
    assert labels, "no vLLM workload found in deploy/k8s"
    return labels


def services_selecting(pod_labels: list[dict[str, str]]) -> list[Doc]:
    return [
        service
        for service in of_kind("Service")
        if service["spec"].get("selector")
        and any(all(labels.get(k) == v for k, v in service["spec"]["selector"].items()) for labels in pod_labels)
    ]


def flags(args: list[str]) -> dict[str, str]:
    """--flag value pairs of a command line (flags without a value map to "")."""
    result = {}
    for index, arg in enumerate(args):
        if arg.startswith("--"):
            following = args[index + 1] if index + 1 < len(args) else ""
            result[arg] = "" if following.startswith("--") else following
    return result


# --- compose helpers ------------------------------------------------------------------------

INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?+])?(?P<arg>[^}]*)\}")


def resolve_defaults(value: str) -> str | None:
    """A compose value with each ${VAR:-default} replaced by its default; None if a ${VAR} has none."""
    unresolved = False

    def replace(match: re.Match[str]) -> str:
        nonlocal unresolved
        if match["op"] in {"-", ":-"}:
            return match["arg"]
        unresolved = True
        return ""

    resolved = INTERPOLATION.sub(replace, value)
    return None if unresolved else resolved


def compose_services() -> Iterator[tuple[str, str, Doc]]:
    for file_name, doc in compose_docs().items():
        for service_name, service in (doc.get("services") or {}).items():
            yield file_name, service_name, service


def compose_environment(service: Doc) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in environment)
    return {key: "" if value is None else str(value) for key, value in environment.items()}


def compose_python_services() -> list[tuple[str, str, Doc]]:
    return [
        (file_name, name, service)
        for file_name, name, service in compose_services()
        if "image" in service and is_modelgate_image(resolve_defaults(service["image"]) or service["image"])
    ]


# --- every file parses ----------------------------------------------------------------------


def test_every_file_parses_into_named_objects() -> None:
    assert k8s_files(), "deploy/k8s has no manifests"
    assert {"compose.yaml", "compose.cpu.yaml"} <= set(compose_docs())
    for file_name, doc in k8s_docs():
        assert {"apiVersion", "kind", "metadata"} <= doc.keys(), file_name
        assert doc["metadata"].get("name"), f"{file_name}: a {doc['kind']} without a name"
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == NAMESPACE, f"{file_name}: {doc['metadata']['name']}"


def test_the_expected_objects_exist() -> None:
    assert {component(doc) for doc in python_workloads()} == PYTHON_WORKLOADS
    for kind, name in [
        ("Namespace", NAMESPACE),
        ("ConfigMap", "modelgate-config"),
        ("ConfigMap", "modelgate-guardrailsrc"),
        ("Service", "modelgate-web"),
        ("Service", "modelgate-gateway"),
        ("HorizontalPodAutoscaler", "modelgate-gateway"),
        ("PodDisruptionBudget", "modelgate-web"),
        ("PodDisruptionBudget", "modelgate-gateway"),
        ("Deployment", "vllm-llama"),
        ("Service", "vllm-llama"),
        ("PersistentVolumeClaim", "vllm-llama-models"),
        ("Job", "modelgate-migrate"),
    ]:
        named(kind, name)


# --- Python containers ---------------------------------------------------------------------


def test_python_containers_run_as_non_root_read_only_without_capabilities() -> None:
    checked = 0
    for doc in python_workloads():
        template = pod_template(doc)
        pod_spec = template["spec"]
        pod_security = pod_spec.get("securityContext") or {}
        volumes = {volume["name"]: volume for volume in pod_spec.get("volumes", [])}
        assert pod_spec.get("automountServiceAccountToken") is False, doc["metadata"]["name"]
        for container in containers(pod_spec):
            where = f"{doc['metadata']['name']}/{container['name']}"
            security = container.get("securityContext") or {}
            run_as_non_root = security.get("runAsNonRoot", pod_security.get("runAsNonRoot"))
            run_as_user = security.get("runAsUser", pod_security.get("runAsUser"))
            assert run_as_non_root is True, f"{where}: runAsNonRoot"
            assert run_as_user is None or run_as_user > 0, f"{where}: runAsUser {run_as_user}"
            assert security.get("readOnlyRootFilesystem") is True, f"{where}: readOnlyRootFilesystem"
            assert security.get("allowPrivilegeEscalation") is False, f"{where}: allowPrivilegeEscalation"
            assert not security.get("privileged"), f"{where}: privileged"
            assert "ALL" in ((security.get("capabilities") or {}).get("drop") or []), f"{where}: capabilities"
            assert not (security.get("capabilities") or {}).get("add"), f"{where}: adds capabilities"
            # The root filesystem is read-only: /tmp and MODELGATE_DATA_DIR need volumes.
            mounts = {mount["mountPath"]: mount for mount in container.get("volumeMounts", [])}
            for path in ("/tmp", "/data"):
                assert path in mounts, f"{where}: no volume on {path}"
                volume = volumes[mounts[path]["name"]]
                assert "emptyDir" in volume or "persistentVolumeClaim" in volume, f"{where}: {path}"
            assert container.get("resources", {}).get("requests"), f"{where}: no resource requests"
            assert container.get("resources", {}).get("limits"), f"{where}: no resource limits"
            checked += 1
    assert checked >= len(PYTHON_WORKLOADS)


def test_python_pods_mount_the_guardrails_rc_file_from_a_configmap() -> None:
    shipped = (DEPLOY / "guardrailsrc").read_text(encoding="utf-8").split()
    assert "enable_metrics=false" in shipped
    assert "use_remote_inferencing=false" in shipped
    config_maps = {doc["metadata"]["name"]: doc for doc in of_kind("ConfigMap")}
    for doc in python_workloads():
        pod_spec = pod_template(doc)["spec"]
        volumes = {volume["name"]: volume for volume in pod_spec.get("volumes", [])}
        for container in containers(pod_spec):
            mounts = [m for m in container.get("volumeMounts", []) if m["mountPath"] == "/home/modelgate/.guardrailsrc"]
            assert len(mounts) == 1, f"{doc['metadata']['name']}/{container['name']}: no ~/.guardrailsrc"
            source = volumes[mounts[0]["name"]]["configMap"]
            content = config_maps[source["name"]]["data"][mounts[0]["subPath"]]
            assert content.split() == shipped


def test_the_gateway_gets_sigterm_and_time_to_flush_its_records() -> None:
    gateway = workload("gateway")
    pod_spec = pod_template(gateway)["spec"]
    (container,) = pod_spec["containers"]
    command = [*container.get("command", []), *container.get("args", [])]
    # Exec form: uvicorn is PID 1 and receives SIGTERM (a shell would swallow it).
    assert command[0] == "uvicorn"
    assert command[1] == "modelgate.gateway_asgi:application"
    options = flags(command)
    assert options["--workers"] == "1"
    assert options["--port"] == "8001"
    assert options["--loop"] == "uvloop"
    assert options["--http"] == "httptools"
    grace = pod_spec["terminationGracePeriodSeconds"]
    assert grace >= 40
    pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
    pre_stop_seconds = int(pre_stop[-1]) if pre_stop[:1] == ["sleep"] else 0
    assert grace >= pre_stop_seconds + int(options["--timeout-graceful-shutdown"]) + 10
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"


def test_the_gateway_scales_on_cpu_and_web_and_gateway_have_disruption_budgets() -> None:
    gateway = workload("gateway")
    hpa = named("HorizontalPodAutoscaler", "modelgate-gateway")
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == (gateway["kind"], gateway["metadata"]["name"])
    assert hpa["spec"]["minReplicas"] >= 2
    assert any(m["type"] == "Resource" and m["resource"]["name"] == "cpu" for m in hpa["spec"]["metrics"])
    # The autoscaler owns the count: a replicas field would reset it at every apply.
    assert "replicas" not in gateway["spec"]
    for name in ("web", "gateway"):
        labels = pod_template(workload(name))["metadata"]["labels"]
        budgets = [pdb for pdb in of_kind("PodDisruptionBudget") if selector_matches(pdb["spec"]["selector"], labels)]
        assert len(budgets) == 1, name


def test_beat_runs_exactly_once() -> None:
    beat = workload("beat")
    assert beat["kind"] == "Deployment"
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"]["type"] == "Recreate"
    autoscaled = {hpa["spec"]["scaleTargetRef"]["name"] for hpa in of_kind("HorizontalPodAutoscaler")}
    assert beat["metadata"]["name"] not in autoscaled
    (container,) = pod_template(beat)["spec"]["containers"]
    assert container["command"][:5] == ["celery", "-A", "modelgate", "beat", "-l"]


def test_selectors_match_their_pods() -> None:
    pod_labels = [pod_template(doc)["metadata"]["labels"] for doc in workloads()]
    for doc in workloads():
        if doc["kind"] in {"Job", "CronJob", "Pod"}:
            continue
        assert selector_matches(doc["spec"]["selector"], pod_template(doc)["metadata"]["labels"]), doc["metadata"]
    for service in of_kind("Service"):
        assert services_selecting(pod_labels).count(service) == 1, (
            f"Service {service['metadata']['name']} selects no pod"
        )
    for doc in python_workloads():
        labels = pod_template(doc)["metadata"]["labels"]
        assert labels[NAME] == "modelgate"
        assert labels[COMPONENT] in PYTHON_WORKLOADS


# --- vLLM: reachable from the gateway only ---------------------------------------------------


def test_vllm_accepts_connections_from_the_gateway_pods_only() -> None:
    gateway_labels = pod_template(workload("gateway"))["metadata"]["labels"]
    assert gateway_labels.items() >= GATEWAY_LABELS.items()
    other_pods = [pod_template(doc)["metadata"]["labels"] for doc in python_workloads() if component(doc) != "gateway"]
    policies = [policy for policy in of_kind("NetworkPolicy") if policy["metadata"].get("namespace") == NAMESPACE]
    for labels in vllm_pod_labels():
        selecting = [policy for policy in policies if selector_matches(policy["spec"]["podSelector"], labels)]
        isolating = [
            policy
            for policy in selecting
            if "Ingress" in policy["spec"].get("policyTypes", ["Ingress"]) or policy["spec"].get("ingress")
        ]
        assert isolating, "no NetworkPolicy isolates the vLLM pods: they would accept anything"
        allowing_gateway = False
        for policy in isolating:
            for rule in policy["spec"].get("ingress") or []:
                peers = rule.get("from")
                name = policy["metadata"]["name"]
                # A rule without "from" admits every source.
                assert peers, f"{name}: an ingress rule open to every source"
                for peer in peers:
                    assert set(peer) == {"podSelector"}, f"{name}: a peer other than pods of this namespace: {peer}"
                    assert selector_matches(peer["podSelector"], gateway_labels), f"{name}: {peer}"
                    for other in [*other_pods, *vllm_pod_labels()]:
                        assert not selector_matches(peer["podSelector"], other), f"{name} also admits {other}"
                ports = {port["port"] for port in rule.get("ports") or []}
                assert ports == {8000}, f"{name}: ports {ports}"
                allowing_gateway = True
        assert allowing_gateway, "the gateway cannot reach vLLM"


def test_ingress_is_denied_by_default_and_only_web_and_gateway_accept_the_ingress_controller() -> None:
    policies = of_kind("NetworkPolicy")
    assert any(
        p["spec"]["podSelector"] == {} and p["spec"].get("policyTypes") == ["Ingress"] and not p["spec"].get("ingress")
        for p in policies
    ), "no default-deny ingress policy"
    for policy in policies:
        for rule in policy["spec"].get("ingress") or []:
            for peer in rule.get("from") or []:
                if "ingress-nginx" in str(peer.get("namespaceSelector")):
                    selected = [
                        component(doc)
                        for doc in python_workloads()
                        if selector_matches(policy["spec"]["podSelector"], pod_template(doc)["metadata"]["labels"])
                    ]
                    assert selected, policy["metadata"]["name"]
                    assert set(selected) <= {"web", "gateway"}, policy["metadata"]["name"]
                    for labels in vllm_pod_labels():
                        assert not selector_matches(policy["spec"]["podSelector"], labels)


def test_vllm_is_never_exposed_outside_the_cluster() -> None:
    vllm_services = services_selecting(vllm_pod_labels())
    assert vllm_services, "no Service for vLLM"
    for service in vllm_services:
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP", service["metadata"]["name"]
        assert not service["spec"].get("externalIPs"), service["metadata"]["name"]
    vllm_service_names = {service["metadata"]["name"] for service in vllm_services}
    for ingress in of_kind("Ingress"):
        backends = [ingress["spec"].get("defaultBackend")]
        for rule in ingress["spec"].get("rules", []):
            backends += [path["backend"] for path in rule.get("http", {}).get("paths", [])]
        for backend in filter(None, backends):
            name = backend.get("service", {}).get("name", "")
            assert name not in vllm_service_names, f"Ingress {ingress['metadata']['name']} routes to vLLM"
            assert "vllm" not in name, f"Ingress {ingress['metadata']['name']} routes to {name}"


def test_vllm_runs_the_pinned_model_with_its_key_from_the_secret() -> None:
    gateway = pod_template(workload("gateway"))["spec"]["containers"][0]
    gateway_key = next(e for e in gateway["env"] if e["name"] == "MODELGATE_VLLM_API_KEY")["valueFrom"]
    for doc in vllm_workloads():
        (container,) = pod_template(doc)["spec"]["containers"]
        command = [*container.get("command", []), *container.get("args", [])]
        assert command[:2] == ["vllm", "serve"]
        options = flags(command)
        assert re.fullmatch(r"[0-9a-f]{40}", options["--revision"]), "pin the commit the approval covers"
        assert options["--host"] == "0.0.0.0"  # noqa: S104  (inside the pod; the NetworkPolicy decides)
        assert options["--port"] == "8000"
        assert "--no-enable-log-requests" in options
        # vLLM >= 0.11 refuses to start with the retired flag.
        assert "--disable-log-requests" not in options
        # The key is a reference Kubernetes expands from the Secret-backed variable, never a value.
        if "--api-key" in options:
            assert options["--api-key"] == "$(VLLM_API_KEY)"
        env = {e["name"]: e for e in container["env"]}
        assert env["VLLM_API_KEY"]["valueFrom"]["secretKeyRef"] == gateway_key["secretKeyRef"]
        assert env["VLLM_NO_USAGE_STATS"]["value"] == "1"
        resources = container["resources"]
        assert str(resources["limits"]["nvidia.com/gpu"]) == str(resources["requests"]["nvidia.com/gpu"]) == "1"
        assert container["readinessProbe"]["httpGet"]["path"] == "/health"
        security = container.get("securityContext") or {}
        assert security.get("allowPrivilegeEscalation") is False
        assert "ALL" in security["capabilities"]["drop"]
        volumes = pod_template(doc)["spec"]["volumes"]
        assert any("persistentVolumeClaim" in volume for volume in volumes), "no model cache volume"


# --- secrets ---------------------------------------------------------------------------------


def test_secret_environment_variables_come_from_secret_key_refs() -> None:
    checked = 0
    for doc in workloads():
        for container in containers(pod_template(doc)["spec"]):
            for entry in container.get("env", []):
                if SECRET_NAME.search(entry["name"]):
                    where = f"{doc['metadata']['name']}/{container['name']}: {entry['name']}"
                    assert "value" not in entry, f"{where} is a literal"
                    assert "secretKeyRef" in entry.get("valueFrom", {}), f"{where} is not from a Secret"
                    checked += 1
            for source in container.get("envFrom", []):
                assert set(source) == {"configMapRef"}, "secrets are named one by one with secretKeyRef"
    assert checked >= 20
    for config_map in of_kind("ConfigMap"):
        for key in config_map.get("data", {}):
            assert not SECRET_NAME.search(key), f"ConfigMap {config_map['metadata']['name']} holds {key}"


def test_the_python_processes_get_what_production_requires() -> None:
    config = named("ConfigMap", "modelgate-config")["data"]
    assert config["MODELGATE_ENV"] == "production"
    assert "localhost" in config["ALLOWED_HOSTS"].split(",")
    for doc in python_workloads():
        for container in containers(pod_template(doc)["spec"]):
            names = {entry["name"] for entry in container.get("env", [])}
            assert {"DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY"} <= names, doc["metadata"]["name"]
    gateway = pod_template(workload("gateway"))["spec"]["containers"][0]
    assert {"MODELGATE_VLLM_API_KEY", "MODELGATE_METRICS_TOKEN"} <= {entry["name"] for entry in gateway["env"]}


def test_the_example_secret_is_not_applied_and_holds_only_placeholders() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    assert "secret.example.yaml" not in kustomization["resources"]
    assert not [doc for doc in deployed_docs() if doc["kind"] == "Secret"], "a Secret among the applied manifests"
    (secret,) = [doc for name, doc in k8s_docs() if name == "secret.example.yaml"]
    for key, value in secret["stringData"].items():
        assert value == "" or "EXAMPLE" in value, f"{key} does not look like a placeholder"
    referenced = {
        entry["valueFrom"]["secretKeyRef"]["key"]
        for doc in workloads()
        for container in containers(pod_template(doc)["spec"])
        for entry in container.get("env", [])
        if "secretKeyRef" in entry.get("valueFrom", {})
    }
    assert referenced <= set(secret["stringData"]), referenced - set(secret["stringData"])


# --- images ----------------------------------------------------------------------------------


def all_images() -> list[tuple[str, str]]:
    images = [
        (doc["metadata"]["name"], container["image"])
        for doc in workloads()
        for container in containers(pod_template(doc)["spec"])
    ]
    for file_name, name, service in compose_services():
        if "image" in service:
            images.append((f"{file_name}:{name}", service["image"]))
    return images


def test_every_image_has_an_explicit_tag() -> None:
    images = all_images()
    assert len(images) >= 10
    for where, image in images:
        resolved = resolve_defaults(image)
        assert resolved, f"{where}: {image} depends on a variable without a default"
        _, tag, digest = split_image(resolved)
        assert tag or digest, f"{where}: {image} has no tag"
        assert tag != "latest", f"{where}: {image}"


def test_one_vllm_version_everywhere() -> None:
    versions = {}
    for where, image in all_images():
        repository, tag, _ = split_image(resolve_defaults(image) or image)
        if repository.rsplit("/", 1)[-1].startswith("vllm-openai"):
            versions[where] = re.sub(r"-(x86_64|arm64)$", "", tag or "")
    local = re.search(r'^vllm_version="([^"]+)"', (DEPLOY / "local-vllm" / "vllm-local").read_text(), re.MULTILINE)
    assert local, "deploy/local-vllm/vllm-local names no vllm_version"
    versions["deploy/local-vllm"] = "v" + local[1]
    assert len(versions) >= 4
    assert len(set(versions.values())) == 1, versions


# --- kustomize -------------------------------------------------------------------------------


def test_kustomization_lists_every_manifest_and_only_existing_files() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    assert kustomization["kind"] == "Kustomization"
    assert kustomization["namespace"] == NAMESPACE
    resources = kustomization["resources"]
    assert len(resources) == len(set(resources))
    for resource in resources:
        assert (K8S / resource).is_file(), f"kustomization.yaml lists {resource}, which does not exist"
    manifests = {path.name for path in k8s_files()} - {"kustomization.yaml"}
    assert set(resources) == manifests - NOT_IN_KUSTOMIZATION
    assert manifests >= NOT_IN_KUSTOMIZATION


# --- ingress ---------------------------------------------------------------------------------


def test_the_gateway_ingress_streams_unbuffered_with_long_timeouts() -> None:
    ingress = named("Ingress", "modelgate-gateway")
    annotations = ingress["metadata"]["annotations"]
    prefix = "nginx.ingress.kubernetes.io/"
    assert annotations[prefix + "proxy-buffering"] == "off"
    assert int(annotations[prefix + "proxy-read-timeout"]) >= 300
    assert int(annotations[prefix + "proxy-send-timeout"]) >= 300
    assert annotations[prefix + "proxy-body-size"]
    backends = {
        path["backend"]["service"]["name"] for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]
    }
    assert backends == {"modelgate-gateway"}
    # Only the OpenAI-compatible routes; /metrics stays inside.
    assert {path["path"] for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]} == {"/v1"}


# --- docker compose --------------------------------------------------------------------------


def test_compose_vllm_publishes_no_port_and_sits_on_an_internal_network() -> None:
    for file_name, doc in compose_docs().items():
        vllm = (doc.get("services") or {}).get("vllm")
        if vllm is None:
            continue
        assert "ports" not in vllm, f"{file_name}: vllm publishes ports"
        assert vllm.get("network_mode") is None, file_name
    base = compose_docs()["compose.yaml"]
    vllm_networks = base["services"]["vllm"]["networks"]
    assert vllm_networks
    for network in vllm_networks:
        assert base["networks"][network].get("internal") is True, network
        members = {name for name, service in base["services"].items() if network in (service.get("networks") or [])}
        assert members == {"vllm", "gateway"}, members
    published = {name for name, service in base["services"].items() if service.get("ports")}
    assert published == {"web", "gateway"}


def test_compose_secrets_come_from_the_env_file() -> None:
    checked = 0
    for file_name, name, service in compose_services():
        for variable, value in compose_environment(service).items():
            if SECRET_NAME.search(variable):
                assert "${" in value, f"{file_name}:{name}: {variable} is a literal"
                checked += 1
    assert checked >= 10
    services = compose_docs()["compose.yaml"]["services"]
    gateway_key = compose_environment(services["gateway"])["MODELGATE_VLLM_API_KEY"]
    vllm_key = compose_environment(services["vllm"])["VLLM_API_KEY"]
    assert INTERPOLATION.search(gateway_key)["name"] == INTERPOLATION.search(vllm_key)["name"]  # type: ignore[index]


def test_compose_python_services_are_locked_down() -> None:
    services = compose_python_services()
    assert {name for file_name, name, _ in services if file_name == "compose.yaml"} == {
        "migrate",
        "web",
        "gateway",
        "worker",
        "beat",
    }
    for file_name, name, service in services:
        where = f"{file_name}:{name}"
        user = str(service.get("user", ""))
        assert user, f"{where}: no user"
        assert user.split(":", maxsplit=1)[0] not in {"0", "root"}, f"{where}: user {user!r}"
        assert service.get("read_only") is True, where
        assert "ALL" in service.get("cap_drop", []), where
        assert not service.get("cap_add"), where
        assert "no-new-privileges:true" in service.get("security_opt", []), where
    gateway = compose_docs()["compose.yaml"]["services"]["gateway"]
    grace = re.fullmatch(r"(\d+)s", gateway["stop_grace_period"])
    assert grace
    assert int(grace[1]) >= 40


def test_env_example_documents_every_compose_variable() -> None:
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", (COMPOSE / "env.example").read_text(), re.MULTILINE))
    for path in compose_files():
        for match in INTERPOLATION.finditer(path.read_text(encoding="utf-8")):
            assert match["name"] in documented, f"{path.name} uses ${{{match['name']}}}, env.example omits it"


@pytest.mark.parametrize("service", ["web", "gateway", "worker", "beat", "migrate"])
def test_compose_and_kubernetes_run_the_same_commands(service: str) -> None:
    compose_command = compose_docs()["compose.yaml"]["services"][service]["command"]
    container = pod_template(workload(service))["spec"]["containers"][0]
    k8s_command = [*container.get("command", []), *container.get("args", [])]
    if service == "web":  # compose runs several workers in its one container
        compose_command = compose_command[: compose_command.index("--workers")]
    assert compose_command == k8s_command


# --- Dockerfile ------------------------------------------------------------------------------


def test_the_image_runs_as_a_numeric_non_root_user_with_the_guardrails_rc_file() -> None:
    lines = [line.strip() for line in (DEPLOY / "Dockerfile").read_text(encoding="utf-8").splitlines()]
    instructions = [line for line in lines if line and not line.startswith("#")]
    (base,) = [line.split()[1] for line in instructions if line.startswith("FROM ")]
    _, tag, _ = split_image(base)
    assert base.startswith("python:3.11")
    assert tag
    assert tag != "latest"
    users = [line.split()[1] for line in instructions if line.startswith("USER ")]
    assert users
    assert users[-1].split(":")[0].isdigit()
    assert int(users[-1].split(":")[0]) > 0, "numeric, so runAsNonRoot can verify it"
    assert "COPY deploy/guardrailsrc /home/modelgate/.guardrailsrc" in instructions
    assert any("HOME=/home/modelgate" in line for line in instructions)
    assert any("pip install --no-cache-dir -r requirements.lock" in line for line in instructions)
    # WeasyPrint's system libraries, for the PDF exports.
    assert any("libpango-1.0-0" in line and "fonts-dejavu-core" in line for line in instructions)
    # Exec form: the process is PID 1 and receives SIGTERM.
    (cmd,) = [line for line in instructions if line.startswith("CMD ")]
    assert cmd.startswith('CMD ["uvicorn", "modelgate.asgi:application"')
