"""The bounds the contracts enforce, as Python constants, so every write path refuses the same values before any gas
is spent. `tests/contracts/test_rules.py` reads each one back from the deployed contract: they cannot drift apart.
"""

from __future__ import annotations

from typing import Final

#: Largest batch quantity, in thousandths of the unit (`BatchLedger.MAX_QUANTITY`): 10**12 units.
MAX_QUANTITY_MILLI: Final = 10**15
#: Largest process emissions of one production step, grams CO2e (`BatchLedger.MAX_EMISSIONS`): one gigatonne.
MAX_EMISSIONS_GRAMS: Final = 10**15
#: How far a production time may lie after the block's (or, before sending, the wall clock's) time.
MAX_FUTURE_SECONDS: Final = 3_600
#: Inputs and documents per batch record.
MAX_INPUTS: Final = 64
MAX_DOCUMENTS: Final = 64
#: UTF-8 bytes of a flag reason (`BatchLedger.MAX_TEXT_BYTES`) and of an anchor bundle's URI (`MAX_URI_BYTES`).
MAX_TEXT_BYTES: Final = 1_024
MAX_URI_BYTES: Final = 2_048
#: Metrics per disclosure version; bytes of a disclosure's URI and of an amendment or revocation reason.
MAX_METRICS: Final = 128
MAX_DISCLOSURE_URI_BYTES: Final = 2_048
MAX_DISCLOSURE_TEXT_BYTES: Final = 1_024
#: Bytes of a participant's legal name, and of a suspension reason.
MAX_NAME_BYTES: Final = 256
MAX_REASON_BYTES: Final = 1_024

#: Contract constant (public view) -> the Python constant that mirrors it.
CONTRACT_CONSTANTS: Final = {
    "MAX_QUANTITY": MAX_QUANTITY_MILLI,
    "MAX_EMISSIONS": MAX_EMISSIONS_GRAMS,
    "MAX_FUTURE_SECONDS": MAX_FUTURE_SECONDS,
    "MAX_INPUTS": MAX_INPUTS,
    "MAX_DOCUMENTS": MAX_DOCUMENTS,
    "MAX_TEXT_BYTES": MAX_TEXT_BYTES,
    "MAX_URI_BYTES": MAX_URI_BYTES,
    "MAX_METRICS": MAX_METRICS,
    "MAX_DISCLOSURE_URI_BYTES": MAX_DISCLOSURE_URI_BYTES,
    "MAX_DISCLOSURE_TEXT_BYTES": MAX_DISCLOSURE_TEXT_BYTES,
    "MAX_NAME_BYTES": MAX_NAME_BYTES,
    "MAX_REASON_BYTES": MAX_REASON_BYTES,
}
