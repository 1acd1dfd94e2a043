"""Repository modules: the read queries behind pages and API endpoints."""
