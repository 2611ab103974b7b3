"""Forecasts computed when the data changes and stored, so that pages open without fitting.

``refresh`` computes what the pages show by default and stores every forecast it made;
``forecasting.models.stored`` serves them by key (the series' history, the engine's code and
the parameters), to the pages and to the next refresh.
"""
