#!/usr/bin/env bash
# The Node WebGPU benchmark on a GPU machine: Glimpse and transformers.js on onnxruntime-node's WebGPU EP
# (and its CPU EP for comparison) with the synthetic LLaVA-Interleave-0.5B-shaped package, which this script
# builds first. Prints the GPU's name and the figures; writes bench/results/gpu-synthetic-interleave.*.
# Needs node_modules and models/tiny-llava-fused (its tokenizer and template) in the working tree.
# Budget: about 6 minutes on an H100/H200 machine with 16 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ -d .gl ]; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
if [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi

echo "== GPU"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo "nvidia-smi failed"
echo "== CPU: $(nproc) cores; node $(node --version)"

for need in node_modules/onnxruntime-node node_modules/@huggingface/transformers models/tiny-llava-fused/tokenizer.json; do
  [ -e "$need" ] || { echo "missing $need: carry it to this machine"; exit 1; }
done

start=$(date +%s)
echo "== building the synthetic package (.cache/models/synthetic-interleave)"
rm -rf .cache/models/synthetic-interleave
node --import tsx tools/packages/synthetic-build.ts .cache/models/synthetic-interleave
echo "   built in $(( $(date +%s) - start )) s"

# WebGPU first, so that its figures exist even if the CPU pass runs out of time.
# --timeout bounds each system on each backend; one that runs over is reported as failed, the rest stand.
run() {
  node bin/glimpse.mjs bench --model synthetic-interleave --runs 3 --max-new-tokens 32 --turns 5 \
    --backends "$2" --timeout "$1" --name "$3" || echo "bench on $2 ended with status $?"
}
echo "== webgpu (onnxruntime-node WebGPU EP)"
run 90 webgpu gpu-synthetic-interleave-webgpu
echo "== cpu (onnxruntime-node CPU EP, $(nproc) cores)"
run 75 cpu gpu-synthetic-interleave-cpu
echo "== done in $(( $(date +%s) - start )) s"
