"""Analytics: read-only aggregates, complaint topic mining and supervision recommendation letters."""
