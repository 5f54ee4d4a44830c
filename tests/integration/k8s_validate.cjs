// Validates Kubernetes objects against the Kubernetes API's own schemas
// (npm kubernetes-models: the OpenAPI definitions compiled to validators).
// Input: a JSON array of objects on stdin. Output: one line per object,
// "ok Kind/name" or "invalid Kind/name: <errors>"; exit status 1 when any is
// invalid or of a kind the package does not know. Used by
// test_deploy_k8s.py.
"use strict";

function modelFor(apiVersion, kind) {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    const path = group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`;
    return require(path)[kind];
}

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
    let bad = 0;
    for (const obj of JSON.parse(input)) {
        const what = `${obj.kind}/${obj.metadata && obj.metadata.name}`;
        let Model;
        try {
            Model = modelFor(obj.apiVersion, obj.kind);
        } catch (e) {
            console.log(`invalid ${what}: no schema for ${obj.apiVersion} ${obj.kind}`);
            bad++;
            continue;
        }
        try {
            new Model(obj).validate();
            console.log(`ok ${what}`);
        } catch (e) {
            console.log(`invalid ${what}: ${e.message}`);
            bad++;
        }
    }
    process.exit(bad ? 1 : 0);
});
