"""REST API routers, one module per feature, all under /api/v1."""
