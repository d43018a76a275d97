"""Request and response models of the API (pydantic, `extra="forbid"` on everything a client sends)."""
