"""A local server that speaks the Hugging Face Hub's and GitHub's HTTP APIs, on loopback.

`releasekit publish --rehearse` publishes to it; tests and labs use it to run the real clients
(`huggingface_hub`, PyGithub) end to end without the network or credentials.

    from releasekit.devserver import DevServer
    with DevServer(tmp_path / "remote") as server:
        api = HfApi(endpoint=server.hub_url, token="any")
        gh = github.Github(base_url=server.github_url, auth=github.Auth.Token("any"))

`server.inject(method, path_regex, kind, ...)` makes chosen requests fail (see `Fault`), and
`server.requests` logs what was asked (method, path, status, bytes received).
"""

from releasekit.devserver.server import DevServer, Fault, LoggedRequest

__all__ = ["DevServer", "Fault", "LoggedRequest"]
