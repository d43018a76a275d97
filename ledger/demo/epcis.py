"""The demo apparel chain (`ledger.demo.apparel`) recorded from EPCIS 2.0 documents instead of native writes.

`ledger/demo/epcis_documents/` holds one document per participant, in the order they are captured: each gin commissions
its lint and ships it to the spinning mill; the mill receives it, spins two yarns (TransformationEvents; yarn B blends
both gins' lint) and ships them; the weaving mill weaves and ships the fabrics and, after an inspection, puts fabric
B on quality hold (disposition non_conformant); the garment factory makes the shirts (counted: no uom) and ships
them to the brand. Each document is captured as its participant would: facts from the service, mapped and signed
with the participant's key, relayed by the service. The disclosures are then published natively (they are not
supply-chain events). The batches, lineage, custody, quantities, flags and document kinds equal the native demo's;
document hashes of standard references (certificates, invoices, bills of lading) are the SHA-256 of their URIs.
"""

from __future__ import annotations

from importlib.resources import files

from ledger.client import Ledger
from ledger.demo.apparel import (
    GTIN_FABRIC,
    GTIN_LINT,
    GTIN_SHIRT,
    GTIN_YARN,
    DemoWorld,
    Progress,
    register_participants,
    seed_disclosures,
)
from ledger.domain.errors import LedgerError
from ledger.epcis import capture
from ledger.epcis.model import CaptureJob
from ledger.epcis.service import EpcisService

#: Document file -> the demo participant that captures it.
DOCUMENTS = (
    ("1-gin-gujarat.jsonld", "gin-gujarat"),
    ("2-gin-xinjiang.jsonld", "gin-xinjiang"),
    ("3-spinning.jsonld", "spinning"),
    ("4-weaving.jsonld", "weaving"),
    ("5-garment.jsonld", "garment"),
)
BATCHES = {
    "lint-gujarat": ("gin-gujarat", GTIN_LINT, "GJ25-LB-0412"),
    "lint-xinjiang": ("gin-xinjiang", GTIN_LINT, "AKS-2025-0977"),
    "yarn-a": ("spinning", GTIN_YARN, "SPY-25-A-031"),
    "yarn-b": ("spinning", GTIN_YARN, "SPY-25-B-032"),
    "fabric-a": ("weaving", GTIN_FABRIC, "PRW-2025-A-77"),
    "fabric-b": ("weaving", GTIN_FABRIC, "PRW-2025-B-78"),
    "garments-a": ("garment", GTIN_SHIRT, "HG-DG-25-A-1201"),
    "garments-b": ("garment", GTIN_SHIRT, "HG-DG-25-B-1202"),
}


def document_text(name: str) -> str:
    return files("ledger.demo").joinpath("epcis_documents", name).read_text(encoding="utf-8")


def capture_as(service: EpcisService, world: DemoWorld, key: str, text: str) -> CaptureJob:
    """Capture `text` as demo participant `key`: facts, mapping and signatures as a client, relay as the service."""
    account = world.account(key)
    ledger = service.ledger
    facts = service.facts(text, account.address)
    _document, planned = capture.prepare(text, account.address, facts)
    submission = capture.sign(planned, text, account, facts, ledger.domain, ledger.deployment.ledger)
    return service.capture_now(submission)


def seed_demo_epcis(
    ledger: Ledger, service: EpcisService | None = None, progress: Progress | None = None
) -> tuple[DemoWorld, list[CaptureJob]]:
    """Register the demo's participants, capture its EPCIS documents, publish its disclosures."""
    say = progress or (lambda _message: None)
    epcis = service or EpcisService(ledger, worker=False)
    world = register_participants(ledger, say)
    jobs = []
    for name, key in DOCUMENTS:
        say(f"capturing {name} as {world.participants[key].profile.legal_name}")
        job = capture_as(epcis, world, key, document_text(name))
        refused = [r for r in job.results if r.status.value == "refused"]
        if refused or job.state.value != "done":
            raise LedgerError(
                f"{name}: event #{refused[0].position if refused else '?'} not captured: "
                f"{refused[0].reason if refused else job.error}"
            )
        jobs.append(job)
    for label, (key, gtin, lot) in BATCHES.items():
        world.batches[label] = ledger.batch_id_of(world.account(key).address, gtin, lot)
    seed_disclosures(ledger, world, say)
    return world, jobs
