"""The part of kustomize that deploy/k8s/ uses, so CI can render the
overlays without a kustomize binary (Debian has no kustomize package, and
its kubernetes-client embeds kustomize v2.0.3, older than `patches:`): resources
(files, and directories with their own kustomization.yaml), namespace,
images (newName/newTag) and patches by file (strategic merge: maps merge,
lists of named items merge by name, the patch's first, other lists are
replaced).
test_deploy_k8s.py checks that this renders what `kubectl kustomize`
renders wherever kubectl is installed, so the two cannot drift apart
unnoticed. Anything else in a kustomization.yaml is refused."""

import copy
import os

import yaml

KNOWN = {"apiVersion", "kind", "resources", "namespace", "images", "patches"}
CLUSTER_SCOPED = {"Namespace", "PersistentVolume", "StorageClass", "ClusterRole",
                  "ClusterRoleBinding", "RuntimeClass", "PriorityClass"}


def merge(base, patch):
    """Strategic merge of `patch` into `base` (both plain YAML data)."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for k, v in patch.items():
            out[k] = merge(base[k], v) if k in base else copy.deepcopy(v)
        return out
    if (isinstance(base, list) and isinstance(patch, list) and base and patch and
            all(isinstance(i, dict) and "name" in i for i in base + patch)):
        # kustomize's order: the patch's items (merged with the base's of
        # the same name) first, then the base's items the patch leaves alone
        by_name = {i["name"]: i for i in base}
        named = {i["name"] for i in patch}
        return ([merge(by_name[i["name"]], i) if i["name"] in by_name else copy.deepcopy(i)
                 for i in patch] + [copy.deepcopy(i) for i in base if i["name"] not in named])
    return copy.deepcopy(patch)


def _set_images(obj, images):
    spec = obj.get("spec", {}).get("template", {}).get("spec", {})
    for c in spec.get("containers", []) + spec.get("initContainers", []):
        for img in images:
            if c.get("image") == img["name"] or c.get("image", "").startswith(img["name"] + ":"):
                c["image"] = f"{img.get('newName', img['name'])}:{img['newTag']}"


def render(directory):
    """The objects `kubectl kustomize directory` would print, as dicts."""
    with open(os.path.join(directory, "kustomization.yaml")) as f:
        k = yaml.safe_load(f)
    unknown = set(k) - KNOWN
    if unknown:
        raise ValueError(f"{directory}: kustomize_lite does not know {sorted(unknown)}")
    objects = []
    for res in k.get("resources", []):
        path = os.path.join(directory, res)
        if os.path.isdir(path):
            objects += render(path)
        else:
            with open(path) as f:
                objects += [d for d in yaml.safe_load_all(f) if d]
    for p in k.get("patches", []):
        with open(os.path.join(directory, p["path"])) as f:
            patch = yaml.safe_load(f)
        hits = [n for n, o in enumerate(objects) if o["kind"] == patch["kind"] and
                o["metadata"]["name"] == patch["metadata"]["name"]]
        if len(hits) != 1:
            raise ValueError(f"{directory}: patch {p['path']} matches {len(hits)} objects")
        objects[hits[0]] = merge(objects[hits[0]], patch)
    if "namespace" in k:
        for o in objects:
            if o["kind"] not in CLUSTER_SCOPED:
                o["metadata"]["namespace"] = k["namespace"]
    for o in objects:
        _set_images(o, k.get("images", []))
    return objects
