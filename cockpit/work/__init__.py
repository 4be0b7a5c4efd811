"""The structure above tasks (projects, stages, phases) as the operations roles see it: the typed rows,
the won-deal proposal and the ``cockpit work`` commands. Workers never import this package: they see
tasks only."""
