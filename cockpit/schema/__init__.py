"""The schema explorer's headless core: models read from the schema cache, the relation graph
(networkx), grouping by concern and terminal renderings. No Textual here."""
