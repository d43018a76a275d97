"""How a transformation's inputs (and its process emissions) are shared among its outputs.

The contract enforces mass balance per input: what all the outputs of one `recordBatches` call consume of an input
is taken from what it has left, and no more than that can be taken. An EPCIS TransformationEvent states how much of
each input it consumed once, for all its outputs together, so each output is given a share:

- **by the outputs' quantities** (an output of 300 kg among outputs of 300 kg and 100 kg takes 3/4 of each input),
  which is only meaningful when the outputs are in one unit: outputs in different units are refused rather than
  shared by a guess;
- **exactly**: shares are counted in thousandths (the contract's unit) and rounded by the largest-remainder method
  (ties to the earlier output), so the shares of an input add up to exactly what the event consumed of it;
- **none empty**: every output takes at least 0.001 of every input (so its lineage names every input); an input too
  small to give each output that much is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from ledger.chain.codec import from_milli

MILLI = Decimal(1000)


class AllocationError(ValueError):
    pass


def shares(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """`total` split in proportion to `weights`, in thousandths, summing exactly to `total`, each at least 0.001."""
    if not weights:
        raise AllocationError("no outputs to share among")
    milli = int(total * MILLI)
    if milli != total * MILLI:
        raise AllocationError(f"{total} has more than 3 decimals")
    if len(weights) == 1:
        return [total]
    if milli < len(weights):
        raise AllocationError(
            f"{from_milli(milli)} cannot be shared among {len(weights)} outputs: each needs at least 0.001"
        )
    scaled = [int(w * MILLI) for w in weights]
    whole = sum(scaled)
    if whole <= 0:
        raise AllocationError("the outputs have no quantity to share by")
    base = [milli * s // whole for s in scaled]
    left = milli - sum(base)
    order = sorted(range(len(scaled)), key=lambda i: (-(milli * scaled[i] % whole), i))
    for i in order[:left]:
        base[i] += 1
    for i, value in enumerate(base):  # an output whose share rounded to nothing takes 0.001 from the largest
        if value == 0:
            largest = max(range(len(base)), key=lambda j: (base[j], -j))
            base[largest] -= 1
            base[i] = 1
    return [from_milli(b) for b in base]
