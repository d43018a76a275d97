"""The entry point: evaluate the chosen regimes' packs on a trace, as of a date."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from ledger.domain.types import Trace
from ledger.regimes import battery, csddd, eudr, flr, uflpa
from ledger.regimes.checks import Checked
from ledger.regimes.context import Context, Sources
from ledger.regimes.model import Pack, Regime, RegimeSection, regime

#: One module per regime: its pack and its check.
PACKS: dict[Regime, tuple[Pack, Callable[[Context], Checked]]] = {
    Regime.EUDR: (eudr.PACK, eudr.check),
    Regime.UFLPA: (uflpa.PACK, uflpa.check),
    Regime.CSDDD: (csddd.PACK, csddd.check),
    Regime.BATTERY: (battery.PACK, battery.check),
    Regime.EU_FLR: (flr.PACK, flr.check),
}


def packs() -> tuple[Pack, ...]:
    return tuple(pack for pack, _ in PACKS.values())


def regimes_of(names: Sequence[str | Regime]) -> tuple[Regime, ...]:
    """Regimes by name, each once, in the order given; ValidationError for an unknown one."""
    chosen: list[Regime] = []
    for name in names:
        found = regime(name)
        if found not in chosen:
            chosen.append(found)
    return tuple(chosen)


def evaluate_regimes(
    trace: Trace, sources: Sources, regimes: Sequence[str | Regime], as_of: date
) -> tuple[RegimeSection, ...]:
    """One section per regime: each rule of its pack checked on `trace` (facts as of the trace's block) with the
    documents, disclosures, participants and screening lists of `sources`, the law as of `as_of`."""
    chosen = regimes_of(regimes)
    context = Context(trace, sources, as_of)
    return tuple(PACKS[r][1](context).section() for r in chosen)
