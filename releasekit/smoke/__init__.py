"""`releasekit smoke`: run the bundled Triton kernels against PyTorch references.

Light modules (no torch): `shapes` (config.json -> dimensions and softmax scale), `checkpoint`
(find a real FP8 weight by its headers), `cases` (the sweep), `report`, `launch` (plan and drive
the kernel process), `runtime` (extras, device, interpreter switch). Torch modules, used only in
the kernel process and in tests: `compare`, `runner`, `worker`.
"""
