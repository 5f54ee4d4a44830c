"""Kubernetes manifests (issue 16 point 3), offline: each overlay of
deploy/k8s/ rendered (kustomize_lite.py; compared with `kubectl kustomize`
where kubectl is installed), every object validated against the Kubernetes
API schemas by npm kubernetes-models (k8s_validate.cjs), then the rules
the deployment depends on: probes on the real health routes (asked of a
real gateway and node), grace periods that outlast preStop plus the drain,
non-root read-only containers without capabilities, resources everywhere,
Secrets referenced and never shipped, GPU resources only on the GPU
overlay."""

import json
import os
import re
import shutil
import subprocess

import pytest
import yaml

import harness
import kustomize_lite

K8S = os.path.join(harness.REPO, "deploy", "k8s")
OVERLAYS = ["gpu", "cpu"]
VALIDATOR = os.path.join(os.path.dirname(__file__), "k8s_validate.cjs")


def rendered(overlay):
    return kustomize_lite.render(os.path.join(K8S, "overlays", overlay))


def by_key(objects):
    return {(o["kind"], o["metadata"]["name"]): o for o in objects}


def validate(objects):
    if not os.path.isdir(os.path.join(harness.REPO, "node_modules", "kubernetes-models")):
        pytest.fail("npm kubernetes-models is missing: run `make deps` (npm ci)")
    return subprocess.run(["node", VALIDATOR], input=json.dumps(objects), capture_output=True,
                          text=True, timeout=60, cwd=harness.REPO)


def pod_spec(obj):
    return obj["spec"]["template"]["spec"]


def conf_value(cm, file, key):
    return re.search(rf"^\s*{key}\s*=\s*(\S+)", cm["data"][file], re.M).group(1)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_validates_against_the_kubernetes_schemas(overlay):
    objects = rendered(overlay)
    kinds = {o["kind"] for o in objects}
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget",
            "DaemonSet", "ConfigMap"} <= kinds, kinds
    r = validate(objects)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("ok ") == len(objects), r.stdout


def test_the_validator_refuses_a_broken_object():
    dep = by_key(rendered("gpu"))[("Deployment", "scaispeak-gateway")]
    dep["spec"]["replicas"] = "two"
    pod_spec(dep)["containers"][0]["ports"][0]["containerPort"] = "http"
    r = validate([dep])
    assert r.returncode == 1 and "invalid Deployment/scaispeak-gateway" in r.stdout, r.stdout + r.stderr
    assert "replicas" in r.stdout and "containerPort" in r.stdout, r.stdout


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kustomize_lite_renders_what_kubectl_kustomize_renders(overlay):
    kubectl = shutil.which("kubectl")
    if not kubectl:
        pytest.skip("kubectl is not installed: the overlays are rendered by kustomize_lite alone")
    out = subprocess.run([kubectl, "kustomize", os.path.join(K8S, "overlays", overlay)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    theirs = by_key(d for d in yaml.safe_load_all(out.stdout) if d)
    assert by_key(rendered(overlay)) == theirs


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_are_locked_down_and_sized(overlay):
    for o in rendered(overlay):
        assert o["kind"] != "Secret", "a Secret is shipped: reference scaispeak-secrets instead"
        if "template" not in o.get("spec", {}):
            continue
        spec = pod_spec(o)
        assert spec["securityContext"]["runAsNonRoot"] is True, o["metadata"]["name"]
        assert spec["automountServiceAccountToken"] is False
        for c in spec["containers"] + spec.get("initContainers", []):
            where = f"{o['metadata']['name']}/{c['name']}"
            sc = c["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True, where
            assert sc["allowPrivilegeEscalation"] is False, where
            assert sc["capabilities"]["drop"] == ["ALL"], where
            assert {"cpu", "memory"} <= set(c["resources"]["requests"]), where
            assert {"cpu", "memory"} <= set(c["resources"]["limits"]), where
            for e in c.get("env", []):
                if e["name"].endswith(("TOKEN", "KEY", "PASSWORD", "SECRET")):
                    assert "secretKeyRef" in e.get("valueFrom", {}), (where, e["name"])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_grace_periods_outlast_prestop_and_the_drain(overlay):
    objs = by_key(rendered(overlay))
    cm = objs[("ConfigMap", "scaispeak-config")]
    for kind, name, conf in (("Deployment", "scaispeak-gateway", "gateway.conf"),
                             ("DaemonSet", "scaispeak-node", "node.conf")):
        spec = pod_spec(objs[(kind, name)])
        drain = int(conf_value(cm, conf, "drain_timeout_s"))
        pre = spec["containers"][0].get("lifecycle", {}).get("preStop", {}).get("sleep", {})
        assert spec["terminationGracePeriodSeconds"] >= pre.get("seconds", 0) + drain + 10, name
    gw = pod_spec(objs[("Deployment", "scaispeak-gateway")])["containers"][0]
    assert gw["lifecycle"]["preStop"]["sleep"]["seconds"] >= 5


def test_gpu_resources_only_on_the_gpu_overlay():
    gpu = pod_spec(by_key(rendered("gpu"))[("DaemonSet", "scaispeak-node")])
    node = gpu["containers"][0]
    assert node["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert {"name": "SCAISPEAK_KERNELS", "value": "cuda"} in node["env"]
    assert any(t["key"] == "nvidia.com/gpu" for t in gpu["tolerations"])
    assert gpu["nodeSelector"]
    cpu = pod_spec(by_key(rendered("cpu"))[("DaemonSet", "scaispeak-node")])
    assert "nvidia.com/gpu" not in json.dumps(cpu)
    assert {"name": "SCAISPEAK_KERNELS", "value": "cpu"} in cpu["containers"][0]["env"]


def test_services_hpa_and_pdb_select_the_gateway():
    objs = by_key(rendered("gpu"))
    labels = objs[("Deployment", "scaispeak-gateway")]["spec"]["template"]["metadata"]["labels"]
    for name in ("scaispeak-gateway", "scaispeak-gateway-grpc"):
        assert objs[("Service", name)]["spec"]["selector"].items() <= labels.items()
    assert objs[("PodDisruptionBudget", "scaispeak-gateway")]["spec"]["selector"]["matchLabels"].items() \
        <= labels.items()
    ref = objs[("HorizontalPodAutoscaler", "scaispeak-gateway")]["spec"]["scaleTargetRef"]
    assert (ref["kind"], ref["name"]) == ("Deployment", "scaispeak-gateway")
    # the nodes heartbeat to the gateway Service's port
    cm = objs[("ConfigMap", "scaispeak-config")]
    assert conf_value(cm, "node.conf", "gateways").startswith("scaispeak-gateway-grpc.")
    assert conf_value(cm, "node.conf", "gateways").endswith(
        ":" + str(objs[("Service", "scaispeak-gateway-grpc")]["spec"]["ports"][0]["port"]))


def probes(container):
    port_names = {p["name"]: p["containerPort"] for p in container["ports"]}
    for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
        get = container[kind]["httpGet"]
        yield kind, port_names[get["port"]], get["path"]


def test_probes_ask_the_real_health_routes(procs, gateway, start_node):
    objs = by_key(rendered("gpu"))
    cm = objs[("ConfigMap", "scaispeak-config")]
    gw_container = pod_spec(objs[("Deployment", "scaispeak-gateway")])["containers"][0]
    node_container = pod_spec(objs[("DaemonSet", "scaispeak-node")])["containers"][0]
    node = start_node()
    for container, conf, port_key, running_port in (
            (gw_container, "gateway.conf", "http_port", gateway.http_port),
            (node_container, "node.conf", "metrics_port", node.metrics_port)):
        for kind, port, path in probes(container):
            assert port == int(conf_value(cm, conf, port_key)), (kind, port)
            status = harness.Http(running_port).get(path).status
            if kind == "readinessProbe":
                assert status in (200, 503), (path, status)  # a real route: 503 is "not ready"
            else:
                assert status == 200, (kind, path, status)


def test_gateway_and_worker_find_redis_through_sentinel(tmp_path):
    """The ConfigMap's settings files parse with the daemons' own config
    reader (--print-config) and point both at the same Sentinel master."""
    cm = by_key(rendered("gpu"))[("ConfigMap", "scaispeak-config")]
    seen = {}
    for daemon, conf in (("scaispeak-gateway", "gateway.conf"), ("scaispeak-worker", "worker.conf")):
        path = tmp_path / conf
        path.write_text(cm["data"][conf])
        p = subprocess.run([harness.binary(daemon), "--config", str(path), "--print-config"], capture_output=True,
                           text=True, timeout=30, env=harness.child_env({}))
        assert p.returncode == 0, p.stderr
        got = dict(re.findall(r"^(redis_sentinels|redis_master_name|redis_wait_replicas)\s+=\s+(\S+)", p.stdout, re.M))
        assert got.get("redis_sentinels", "").endswith(":26379") and got.get("redis_wait_replicas") == "1", got
        seen[daemon] = got
    assert seen["scaispeak-gateway"] == seen["scaispeak-worker"]
