"""Models of finance."""
