"""The command line: the only part of releasekit that prints or exits."""
