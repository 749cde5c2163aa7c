"""Model-level helpers that sit on top of the kernels (SPEC 7): FP8 calibration (`quant`,
`calibration`), precision metadata (`precision_spec`) and the Python context wrapper (`context`). Nothing here is imported by
`import flash_rt`; torch is needed only by the parts that touch tensors."""
