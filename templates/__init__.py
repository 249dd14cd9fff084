"""Jinja2 templates (installed as `releasekit.templates`)."""
