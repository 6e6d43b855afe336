"""Topics: what the community is talking about, grouped by meaning across languages.

``embedding`` keeps each message's vector (computed once, stored); ``grouping`` clusters the
vectors; ``labels`` names each group with its distinctive words; ``trends`` compares it with
the previous period and calls out new or growing complaints; ``finder`` puts these together
for a period; ``summaries`` writes the result for a terminal, JSON or Slack.
"""
