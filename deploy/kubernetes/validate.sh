#!/usr/bin/env bash
# Validates the Kubernetes manifests offline and strictly (an unknown or misspelt field fails)
# against the OpenAPI schemas of one Kubernetes version, with kubernetes-validate from PyPI, which
# ships those schemas. Installs it on first use in a project-local virtualenv (.venv-k8s).
# Usage: deploy/kubernetes/validate.sh [FILE…]   (default: every manifest of this folder)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
TOOL_VERSION=1.37.0
KUBERNETES_VERSION=${NOCAI_KUBERNETES_VERSION:-1.33.0}
venv=${NOCAI_K8S_VENV:-$here/../../.venv-k8s}

if [[ "$("$venv/bin/kubernetes-validate" --version 2>/dev/null || true)" != "$TOOL_VERSION" ]]; then
  echo "validate: installing kubernetes-validate $TOOL_VERSION in $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$TOOL_VERSION" >&2
fi

if [[ $# -eq 0 ]]; then
  # kustomization.yaml is kustomize's own file, not a Kubernetes resource.
  set -- "$here"/namespace.yaml "$here"/configmap.yaml "$here"/service.yaml "$here"/models-pvc.yaml "$here"/statefulset.yaml "$here"/secret.example.yaml
fi
exec "$venv/bin/kubernetes-validate" --strict --quiet -k "$KUBERNETES_VERSION" "$@"
