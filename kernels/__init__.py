"""Bundled Triton kernels (installed as `releasekit.kernels`)."""
