"""The jobs of ``ca_search``: ``run(config, out)`` of each CLI."""
