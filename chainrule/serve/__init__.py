"""Serving a model bundle over HTTP: a JSON prediction endpoint, a health check and a web page."""
from .server import DEFAULT_MAX_BODY, PredictionServer, serve

__all__ = ["DEFAULT_MAX_BODY", "PredictionServer", "serve"]
