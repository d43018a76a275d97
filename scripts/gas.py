"""Gas of recording one batch with two inputs, in its own transaction, on the embedded chain (a figure, not a test).

Prints the gas of a direct transaction by the factory and of the same write relayed as a signed request.
Usage: .venv/bin/python scripts/gas.py
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from eth_account import Account
from eth_utils import keccak

from ledger.chain.codec import batch_record
from ledger.client import Ledger
from ledger.domain.types import Gln, Gtin, InputUse, NewBatch, ParticipantProfile, Role, Site
from ledger.domain.validation import gs1_check_digit


def main() -> None:
    ledger = Ledger.embedded()
    factory = Account.from_key(keccak(text="gas factory"))
    site = "061414100001"
    site = Gln(site + str(gs1_check_digit(site)))
    ledger.register_participant(
        factory.address, ParticipantProfile("Gas Factory Ltd", "CN", (Site(site, "CN-GD"),)), [Role.FACTORY]
    )
    now = datetime.now(UTC)

    def make(lot: str, inputs: tuple[InputUse, ...] = ()) -> NewBatch:
        return NewBatch(
            Gtin("09506000134352"),
            lot,
            "520100",
            Decimal(1000),
            "KGM",
            site,
            now,
            inputs=inputs,
            process_emissions_kg=Decimal("12.5"),
        )

    first, _ = ledger.record_batch(factory, make("IN-1"))
    second, _ = ledger.record_batch(factory, make("IN-2"))
    inputs = (InputUse(first, Decimal(10)), InputUse(second, Decimal(10)))

    own = ledger.send_direct(factory, ledger.contract.functions.recordBatch(batch_record(make("OUT-DIRECT", inputs))))
    _, relayed = ledger.record_batch(factory, make("OUT-RELAYED", inputs))
    print(f"gas, one batch with 2 inputs, own transaction:    {own.gas_used:>7,}")
    print(f"gas, one batch with 2 inputs, relayed (EIP-712):  {relayed.gas_used:>7,}")


if __name__ == "__main__":
    main()
