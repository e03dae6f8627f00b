"""gpucost's Slack app: ``/gpucost`` for a team, on slack-bolt.

The app only parses what Slack sent, calls :func:`engine.run` and renders Block Kit. It never
computes a cost itself. It depends on ``engine`` and never on ``excel``.
"""
