"""GS1 Digital Link resolution for batches: a redirect to the passport, a linkset, the anonymous view."""

from __future__ import annotations

import pytest

from ledger.epcis.digital_link import GS1
from ledger.epcis.keys import GS1KeyError
from ledger.errors import NotFoundError
from tests.epcis.conftest import COTTON, World, document, q

BASE = "https://ledger.example"


def test_a_digital_link_redirects_to_the_batch_passport_and_lists_its_links(world: World) -> None:
    job = world.capture(document(world.commission(q(COTTON, "A", 100))))
    batch = job.results[0].produced[0]
    for gtin in (COTTON, COTTON[1:]):  # GTIN-14 or GTIN-13: one batch
        found = world.service.resolve(gtin, "A", lambda _b: True, BASE)
        assert (found.status, found.location) == (307, f"{BASE}/batches/{batch}/passport")
        assert found.anchor == f"{BASE}/01/{COTTON}/10/A" and 'rel="linkset"' in found.link_header
    trace = world.service.resolve(COTTON, "A", lambda _b: True, BASE, link_type="gs1:traceability")
    assert trace.location == f"{BASE}/batches/{batch}/trace"
    linkset = world.service.resolve(COTTON, "A", lambda _b: True, BASE, link_type="linkset")
    assert linkset.status == 200 and linkset.linkset is not None
    (entry,) = linkset.linkset["linkset"]
    assert {k.removeprefix(GS1) for k in entry if k != "anchor"} == {
        "pip", "masterData", "traceability", "epcis", "sustainabilityInfo", "defaultLink"}
    assert entry[GS1 + "epcis"][0]["href"] == f"{BASE}/batches/{batch}/epcis"


def test_anonymous_callers_get_the_passport_only(world: World) -> None:
    world.capture(document(world.commission(q(COTTON, "A", 100))))
    found = world.service.resolve(COTTON, "A", lambda _b: False, BASE, link_type="linkset", anonymous=True)
    assert found.linkset is not None
    assert {k.removeprefix(GS1) for k in found.linkset["linkset"][0] if k != "anchor"} == {"pip", "defaultLink"}
    redirect = world.service.resolve(COTTON, "A", lambda _b: False, BASE, link_type="gs1:traceability",
                                     anonymous=True)
    assert redirect.location is not None and redirect.location.endswith("/passport")
    member = world.service.resolve(COTTON, "A", lambda _b: False, BASE, link_type="linkset")
    assert member.linkset == found.linkset  # a member who may not see the batch: the label's public link only


def test_a_lot_recorded_by_two_producers_answers_multiple_choices(world: World) -> None:
    world.record(COTTON, "SAME", "10")
    world.record(COTTON, "SAME", "20", who=world.other)
    found = world.service.resolve(COTTON, "SAME", lambda _b: True, BASE)
    assert found.status == 300 and found.linkset is not None
    assert len(found.linkset["linkset"][0][GS1 + "pip"]) == 2
    first = world.ledger.batch_id_of(world.factory.address, COTTON, "SAME")
    assert found.linkset["linkset"][0][GS1 + "defaultLink"][0]["href"] == f"{BASE}/batches/{first}/passport"
    # the producer that used the label first stays the default, however many record it later


def test_bad_keys_are_refused_and_unknown_lots_not_found(world: World) -> None:
    bad = COTTON[:-1] + str((int(COTTON[-1]) + 1) % 10)
    with pytest.raises(GS1KeyError, match="check digit"):
        world.service.resolve(bad, "A", lambda _b: True, BASE)
    with pytest.raises(GS1KeyError, match="1-20 characters"):
        world.service.resolve(COTTON, "L" * 21, lambda _b: True, BASE)
    with pytest.raises(NotFoundError):
        world.service.resolve(COTTON, "NONE", lambda _b: True, BASE)
