"""Accountability (问责): leads, dispositions, the four forms, rectification, public naming."""
