"""releasekit: audit and package open model releases before they go public."""

__version__ = "0.1.0"
