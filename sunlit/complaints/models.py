"""Models of complaints."""
