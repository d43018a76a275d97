"""Due-diligence API: FastAPI service over the ledger for buyers, factories and auditors."""

from api.app import create_app

__all__ = ["create_app"]
