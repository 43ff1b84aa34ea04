"""Models of deliberation."""
