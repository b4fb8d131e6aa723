"""The browser face: Jinja2 templates, vendored htmx, no JavaScript build."""
