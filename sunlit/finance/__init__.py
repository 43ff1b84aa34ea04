"""Collective assets, resources and funds (三资): registers, contracts, money."""
