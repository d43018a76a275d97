"""The rule packs a due-diligence report can apply, one per legal regime."""

from __future__ import annotations

from fastapi import APIRouter

from api.schemas.regimes import PackOut
from ledger import regime_packs as packs

router = APIRouter(prefix="/regimes", tags=["due diligence"])


@router.get("", response_model=list[PackOut], summary="Rule packs per regime")
def get_regimes() -> list[PackOut]:
    """Every regime's pack: its version and rules (id, severity, article, the date it applies from, what it
    requires). Name regimes in `POST /due-diligence` (`regimes`) to apply them."""
    return [PackOut.of(p) for p in packs()]
