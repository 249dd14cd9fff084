"""Triton kernels bundled with releasekit, checked by `releasekit smoke`.

One module per kernel: `mla_decode` (MLA decode attention over a paged latent KV cache, split-KV
with an LSE merge), `act_quant` (FP8 activation quantization), `fp8_gemm` (FP8 block-scaled
GEMM), `weight_dequant` (FP8 weight dequantization); `reference` holds the plain-PyTorch fp32
references and `broken` the deliberately wrong variants of the negative control.

Importing this package imports nothing heavy. Whether the kernels run on a GPU or under Triton's
CPU interpreter is fixed when a kernel module is first imported (`TRITON_INTERPRET` is read at
`@triton.jit` time), so load them through `releasekit.smoke.runtime.load_kernels`.
"""

KERNEL_MODULES = ("mla_decode", "act_quant", "fp8_gemm", "weight_dequant", "broken")
