"""Allow `python -m releasekit`."""

from releasekit.cli.main import main

if __name__ == "__main__":
    main()
