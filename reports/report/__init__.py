"""The report model: the input contract, the analysis computed once from events, the timeline."""
