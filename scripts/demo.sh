#!/usr/bin/env bash
# The whole tool on an embedded default: local state, the local AWS emulator and the
# examples/sagemaker-endpoint platform. Builds mlform, starts the emulator (installed into a
# cached venv on first use), applies the platform, re-plans clean, rolls out a retrained
# model file, destroys, and stops the emulator.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
moto_version=5.2.5
venv="${HOME}/.cache/mlform/venv-moto-${moto_version}"
work="${root}/target/demo"

if [ ! -x "${venv}/bin/moto_server" ]; then
  echo "==> installing moto[server]==${moto_version} into ${venv}"
  python3 -m venv "${venv}"
  "${venv}/bin/python" -m pip install -q "moto[server]==${moto_version}"
fi

echo "==> building mlform (the debug profile the tests share)"
cargo build --quiet --manifest-path "${root}/Cargo.toml" --bin mlform
mlform="${root}/target/debug/mlform"

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
MOTO_IAM_LOAD_MANAGED_POLICIES=true "${venv}/bin/python" "${root}/tests/aws/emulator.py" \
  -H 127.0.0.1 -p "${port}" >"${root}/target/demo-emulator.log" 2>&1 &
emulator=$!
trap 'kill ${emulator} 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  (echo >"/dev/tcp/127.0.0.1/${port}") 2>/dev/null && break
  sleep 0.1
done
echo "==> AWS emulator on http://127.0.0.1:${port}"

rm -rf "${work}"
mkdir -p "${work}"
cp -r "${root}/examples/sagemaker-endpoint/." "${work}/"
var=(-var "aws_endpoint=http://127.0.0.1:${port}")
cd "${work}"

echo "==> mlform apply"
"${mlform}" apply -auto-approve "${var[@]}"
echo "==> mlform plan (expect no changes)"
"${mlform}" plan -detailed-exitcode "${var[@]}"
echo "==> a retrained model file: the plan rolls it out"
# a doc_string (ONNX ModelProto field 6) appended: new bytes, a valid model, same signature
printf '\x32\x09retrained' >>model/model.onnx
"${mlform}" plan -out=rollout.plan "${var[@]}"
"${mlform}" apply rollout.plan
echo "==> mlform destroy"
"${mlform}" destroy -auto-approve "${var[@]}"
