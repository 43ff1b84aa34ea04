"""Deliberation (四议两公开 / 五议) and duty airing (晒权责)."""
