"""`releasekit`: the click group. Subcommands live one per module and load lazily.

Lazy loading keeps `releasekit check` fast and keeps the light install working: `convert` and
`smoke` import torch only when they run.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from releasekit import __version__
from releasekit.errors import ReleasekitError

# name -> "module:attribute"; one line per subcommand, in the order `--help` lists them.
COMMANDS: dict[str, str] = {
    "check": "releasekit.cli.check:check_command",
    "rules": "releasekit.cli.rules:rules_command",
    "convert": "releasekit.cli.convert:convert_command",
    "smoke": "releasekit.cli.smoke:smoke_command",
    "pre-commit": "releasekit.cli.precommit:precommit_command",
    "card": "releasekit.cli.card:card_command",
    "sbom": "releasekit.cli.sbom:sbom_command",
    "checksums": "releasekit.cli.checksums:checksums_command",
    "sign": "releasekit.cli.sign:sign_command",
    "verify": "releasekit.cli.verify:verify_command",
    "publish": "releasekit.cli.publish:publish_command",

}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attribute = target.split(":")
        return getattr(importlib.import_module(module), attribute)  # type: ignore[no-any-return]


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="releasekit")
def cli() -> None:
    """Audit and package open model releases before they go public."""


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit status; releasekit errors become one line on stderr.

    Commands end with `ctx.exit(code)`, so nothing below here calls sys.exit: tests call `run`.
    """
    try:
        result = cli.main(args=argv, prog_name="releasekit", standalone_mode=False)
    except ReleasekitError as exc:
        click.echo(f"releasekit: error: {exc}", err=True)
        return exc.exit_code
    except click.ClickException as exc:
        # One line, like every other error (Click's own form is a usage block over several lines).
        where = f"releasekit {exc.ctx.info_name}" if getattr(exc, "ctx", None) and exc.ctx.parent else "releasekit"
        message = " ".join(exc.format_message().split())
        click.echo(f"{where}: error: {message} (see --help)", err=True)
        return exc.exit_code if exc.exit_code else 2
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("releasekit: interrupted", err=True)
        return 130
    except Exception as exc:  # noqa: BLE001 - a bug in releasekit: one line, never a traceback
        if os.environ.get("RELEASEKIT_DEBUG"):
            raise
        click.echo(f"releasekit: internal error: {type(exc).__name__}: {' '.join(str(exc).split())} "
                   "(please report it; RELEASEKIT_DEBUG=1 shows the traceback)", err=True)
        return 2
    return result if isinstance(result, int) else 0


def main() -> None:
    """Console-script entry point."""
    try:
        code = run()
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # `releasekit check ... | head`
        sys.exit(1)
    if _nothing_left_to_do_at_exit():
        # Tearing the interpreter down (every module, every object of a 92k-tensor audit) takes
        # 10-20 ms that a pre-commit hook pays on every commit; with the output flushed, no
        # thread running and no exit handler registered, there is nothing for it to do.
        os._exit(code)
    sys.exit(code)


def _nothing_left_to_do_at_exit() -> bool:
    import atexit
    import threading

    callbacks = getattr(atexit, "_ncallbacks", None)  # CPython's count of registered handlers
    return callbacks is not None and callbacks() == 0 and threading.active_count() == 1
