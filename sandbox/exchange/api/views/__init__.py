"""The endpoints, one module per part of Binance's Spot API: general, market data, trading,
account. Each view parses, calls a selector or a service, and renders; `endpoint` does the rest."""
