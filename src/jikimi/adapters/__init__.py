"""Adapters at the edge: the CLI (later storage, API and web). They call the domain; the domain never imports them."""

__all__: list[str] = []
