"""The audit rules, one module per area. Installed as `releasekit.checks`.

Every module here (except those starting with an underscore, which are helpers)
is imported by `releasekit.registry.load_builtin_checks`, which registers its rules and checks.
"""
