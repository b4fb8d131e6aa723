"""The HTTP face: FastAPI app, /api/v1 routers, error mapping."""
