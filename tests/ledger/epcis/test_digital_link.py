"""GS1 Digital Link resolution for batches: a redirect to the passport, a linkset, the anonymous view (the service's
side; the HTTP answers against GS1's conformance list are in test_resolver_conformance.py)."""

from __future__ import annotations

import pytest

from ledger.domain.errors import NotFoundError
from ledger.epcis.digital_link import GS1
from ledger.epcis.keys import DigitalLinkSyntaxError
from tests.ledger.epcis.conftest import COTTON, YARN, World, document, q

BASE = "https://ledger.example"


def test_a_digital_link_redirects_to_the_batch_passport_and_lists_its_links(world: World) -> None:
    job = world.capture(document(world.commission(q(COTTON, "A", 100))))
    batch = job.results[0].produced[0]
    for gtin in (COTTON, COTTON[1:]):  # GTIN-14 or GTIN-13: one batch
        found = world.service.resolve(f"/01/{gtin}/10/A", lambda _b: True, BASE)
        assert (found.status, found.target) == (307, f"/batches/{batch}/passport")
        assert found.anchor == f"{BASE}/01/{COTTON}/10/A" and found.level == f"/01/{COTTON}/10/A"
    trace = world.service.resolve(f"/01/{COTTON}/10/A", lambda _b: True, BASE, link_type="gs1:traceability")
    assert trace.target == f"/batches/{batch}/trace"
    linkset = world.service.resolve(f"/01/{COTTON}/10/A", lambda _b: True, BASE, link_type="linkset")
    assert linkset.status == 200 and linkset.linkset is not None
    (entry,) = linkset.linkset["linkset"]
    assert {k.removeprefix(GS1) for k in entry if k != "anchor"} == {
        "pip",
        "masterData",
        "traceability",
        "epcis",
        "sustainabilityInfo",
        "defaultLink",
    }
    assert entry[GS1 + "epcis"][0]["href"] == f"{BASE}/batches/{batch}/epcis"


def test_anonymous_callers_get_the_passport_only(world: World) -> None:
    world.capture(document(world.commission(q(COTTON, "A", 100))))
    found = world.service.resolve(f"/01/{COTTON}/10/A", lambda _b: False, BASE, link_type="linkset", anonymous=True)
    assert found.linkset is not None
    assert {k.removeprefix(GS1) for k in found.linkset["linkset"][0] if k != "anchor"} == {"pip", "defaultLink"}
    with pytest.raises(NotFoundError, match="no gs1:traceability link"):  # GS1 2.6.2: a link not available is 404
        world.service.resolve(
            f"/01/{COTTON}/10/A", lambda _b: False, BASE, link_type="gs1:traceability", anonymous=True
        )
    member = world.service.resolve(f"/01/{COTTON}/10/A", lambda _b: False, BASE, link_type="linkset")
    assert member.linkset == found.linkset  # a member who may not see the batch: the label's public link only


def test_a_lot_recorded_by_two_producers_answers_multiple_choices(world: World) -> None:
    world.record(COTTON, "SAME", "10")
    world.record(COTTON, "SAME", "20", who=world.other)
    found = world.service.resolve(f"/01/{COTTON}/10/SAME", lambda _b: True, BASE)
    assert found.status == 300 and found.linkset is not None
    assert len(found.linkset["linkset"][0][GS1 + "pip"]) == 2
    first = world.ledger.batch_id_of(world.factory.address, COTTON, "SAME")
    assert found.linkset["linkset"][0][GS1 + "defaultLink"][0]["href"] == f"{BASE}/batches/{first}/passport"
    # the producer that used the label first stays the default, however many record it later


def test_bad_keys_are_refused_and_unknown_gtins_not_found(world: World) -> None:
    world.record(COTTON, "A", "10")
    bad = COTTON[:-1] + str((int(COTTON[-1]) + 1) % 10)
    with pytest.raises(DigitalLinkSyntaxError, match="check digit"):
        world.service.resolve(f"/01/{bad}/10/A", lambda _b: True, BASE)
    with pytest.raises(DigitalLinkSyntaxError, match="1 to 20 characters"):
        world.service.resolve(f"/01/{COTTON}/10/{'L' * 21}", lambda _b: True, BASE)
    with pytest.raises(NotFoundError):
        world.service.resolve(f"/01/{YARN}/10/A", lambda _b: True, BASE)
    walked = world.service.resolve(f"/01/{COTTON}/10/NONE", lambda _b: True, BASE)  # an unknown lot: its GTIN
    assert (walked.status, walked.target, walked.level) == (300, None, f"/01/{COTTON}")
