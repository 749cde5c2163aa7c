#!/usr/bin/env bash
# A/B of Programmatic Dependent Launch (device/launch.cuh) in the benchmark's own protocol:
# the same entries and shapes with FLASH_RT_PDL=1 and =0, flash-rt provider only. For a
# gpu-check round: FLASH_RT_ROUND_EXTRA='bash benchmarks/ab_pdl.sh'. Looks at the shapes where
# the benchmark and benchmarks/sweep_plans.cu disagree (layer_norm_no_affine at S = 1024,
# add_bias at S = 256, the exp activations at S = 256).
out="${OUT:-/tmp}/ab-pdl"
cd /tmp || exit 1
bench() { python3 -m flash_rt bench --providers flash-rt --no-host-overhead --out "$out" "$@" | grep -E "^  [a-z]"; }
for pdl in 1 0; do
  echo "##### FLASH_RT_PDL=$pdl"
  export FLASH_RT_PDL=$pdl
  bench --group norm --entries layer_norm_no_affine_fp16,layer_norm_fp16,rms_norm_fp16 \
        --shapes 1x2048,256x2048,1024x2048,1100x2048,2112x2048
  bench --group activation --entries gelu_inplace_fp16,relu_inplace_fp16 --shapes 1x2048,256x2048,1024x2048
  bench --group utility --entries add_bias_fp16,add_bias_bf16 --shapes 1x2048,256x2048,1024x2048
  bench --group fused --entries gate_geglu_fp16 --shapes 256x2048
done
