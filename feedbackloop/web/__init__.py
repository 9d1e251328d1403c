"""HTTP: the REST API and the server-rendered web UI."""
