"""Model card metadata: parse the front matter, validate it offline against the Hub's rules.

Named `cardmeta` so that `releasekit.card` stays free for a future card-rendering command.
"""
