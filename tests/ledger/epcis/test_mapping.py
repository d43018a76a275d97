"""Each mapping rule, and each bad input refused per event with its reason: captured on the embedded chain the way a
client and the service do it (facts, mapping, signatures, the capture job relaying through the relayer)."""

from __future__ import annotations

from decimal import Decimal

from ledger.domain.types import DocumentKind, FlagKind
from ledger.epcis.hashing import sha256_hex
from tests.ledger.epcis.conftest import CLOTH, COTTON, YARN, World, document, q, statuses, when


def test_commissioning_records_a_batch_per_lot_at_the_capturers_site(world: World) -> None:
    job = world.capture(
        document(
            world.commission(q(COTTON, "L1", 100), q(COTTON, "L2", "2.5", "TNE")),
            world.commission(
                q(YARN, "Y1", 30), q(YARN, "Y2", 10), ilmd={"ledger:hsCode": "520512", "ledger:processEmissionsKg": 8}
            ),
        )
    )
    assert statuses(job) == ["recorded", "recorded"] and len(job.results[0].produced) == 2
    one, two = (world.ledger.batch(b) for b in job.results[0].produced)
    assert (one.lot, one.quantity, one.unit, one.facility) == ("L1", Decimal(100), "KGM", world.factory.site)
    assert (two.quantity, two.unit, two.hs_code) == (Decimal("2.5"), "TNE", "520100")
    y1, y2 = (world.ledger.batch(b) for b in job.results[1].produced)
    assert (y1.process_emissions_kg, y2.process_emissions_kg) == (Decimal(6), Decimal(2))  # shared by quantity
    assert job.results[0].transactions == job.results[1].transactions  # one recordBatches for both events
    assert job.root is not None and job.results[0].root == job.root


def test_a_transformation_with_co_products_consumes_each_input_once(world: World) -> None:
    world.capture(document(world.commission(q(COTTON, "A", 100), q(COTTON, "B", 40))))
    job = world.capture(
        document(world.transform([q(COTTON, "A", 80), q(COTTON, "B", 40)], [q(YARN, "Y1", 90), q(YARN, "Y2", 30)]))
    )
    assert statuses(job) == ["recorded"]
    y1, y2 = (world.ledger.batch(b) for b in job.results[0].produced)
    a = world.ledger.find_batch(COTTON, "A")
    b = world.ledger.find_batch(COTTON, "B")
    assert [(u.batch_id, u.quantity) for u in y1.inputs] == [(a.id, Decimal(60)), (b.id, Decimal(30))]
    assert [(u.batch_id, u.quantity) for u in y2.inputs] == [(a.id, Decimal(20)), (b.id, Decimal(10))]
    assert (a.remaining, b.remaining) == (Decimal(20), Decimal(0))  # 80 of A and 40 of B taken, once
    assert len(job.results[0].transactions) == 1  # one recordBatches call for the whole transformation


def test_consuming_more_than_is_left_is_refused(world: World) -> None:
    world.capture(document(world.commission(q(COTTON, "A", 100))))
    job = world.capture(document(world.transform([q(COTTON, "A", "100.001")], [q(YARN, "Y1", 90)])))
    assert statuses(job) == ["refused"]
    assert "consumes 100.001 KGM" in (job.results[0].reason or "") and "100 KGM left" in (job.results[0].reason or "")
    assert world.ledger.find_batch(COTTON, "A").remaining == Decimal(100)


def test_a_unit_mismatch_is_refused_naming_both_units(world: World) -> None:
    world.capture(document(world.commission(q(COTTON, "A", 100))))
    job = world.capture(document(world.transform([q(COTTON, "A", 100, "LBR")], [q(YARN, "Y1", 90)])))
    reason = job.results[0].reason or ""
    assert statuses(job) == ["refused"] and "LBR" in reason and "recorded in KGM" in reason
    counted = world.capture(document(world.transform([q(COTTON, "A", 100, None)], [q(YARN, "Y1", 90)])))
    assert "H87" in (counted.results[0].reason or "")  # a quantity without uom is a count: never read as KGM


def test_a_site_that_is_not_the_capturers_is_refused(world: World) -> None:
    job = world.capture(document(world.commission(q(COTTON, "A", 100), at=world.other)))
    assert statuses(job) == ["refused"]
    assert f"bizLocation {world.other.site} is not one of the capturing participant's sites" in (
        job.results[0].reason or ""
    )


def test_a_party_that_is_not_the_capturers_is_refused(world: World) -> None:
    world.capture(document(world.commission(q(COTTON, "A", 100))))
    job = world.capture(document(world.ship([q(COTTON, "A", 100)], world.buyer, source=world.other)))
    assert statuses(job) == ["refused"]
    assert f"source party {world.other.party} is not the capturing participant's party GLN" in (
        job.results[0].reason or ""
    )


def test_an_unknown_party_is_refused(world: World) -> None:
    from tests.ledger.epcis.conftest import Party, gln

    stranger = Party(world.buyer.account, None, gln("999999900001"))
    world.capture(document(world.commission(q(COTTON, "A", 100))))
    job = world.capture(document(world.ship([q(COTTON, "A", 100)], stranger)))
    assert statuses(job) == ["refused"]
    assert "is no registered participant's party GLN" in (job.results[0].reason or "")


def test_shipping_hands_custody_to_the_destination_party(world: World) -> None:
    world.capture(document(world.commission(q(COTTON, "A", 100), q(COTTON, "B", 5))))
    job = world.capture(
        document(
            world.ship([q(COTTON, "A", 100), q(COTTON, "B", 5)], world.buyer),
            world.ship([q(COTTON, "A", 100)], world.buyer),
        )
    )
    assert statuses(job) == ["recorded", "refused"]  # the second ships what the first already handed over
    assert len(job.results[0].transactions) == 2
    assert world.ledger.find_batch(COTTON, "A").holder == world.buyer.address
    assert "no batch of GTIN" in (job.results[1].reason or "")
    partial = world.capture(
        document(world.commission(q(COTTON, "C", 10)), world.ship([q(COTTON, "C", 4)], world.buyer))
    )
    assert statuses(partial) == ["recorded", "refused"]
    assert "custody passes for a whole batch" in (partial.results[1].reason or "")


def test_a_transaction_event_of_a_shipment_is_mapped_like_an_object_event(world: World) -> None:
    world.capture(document(world.commission(q(COTTON, "A", 100))))
    job = world.capture(document(world.ship([q(COTTON, "A", 100)], world.buyer, kind="TransactionEvent")))
    assert statuses(job) == ["recorded"]
    assert world.ledger.find_batch(COTTON, "A").holder == world.buyer.address


def test_receiving_what_the_capturer_holds_is_acknowledged_and_before_the_shipment_refused(world: World) -> None:
    world.capture(document(world.commission(q(COTTON, "A", 100))))
    receipt = document(world.ship([q(COTTON, "A", 100)], world.buyer, step="receiving"))
    early = world.capture(receipt, world.buyer)
    assert statuses(early) == ["refused"]
    assert "custody passes when the holder captures its shipping event" in (early.results[0].reason or "")
    world.capture(document(world.ship([q(COTTON, "A", 100)], world.buyer)))
    late = world.capture(receipt, world.buyer)
    assert statuses(late) == ["acknowledged"] and late.results[0].root is not None


def test_certification_and_business_transactions_become_typed_documents(world: World) -> None:
    job = world.capture(
        document(
            world.commission(
                q(COTTON, "A", 100),
                certificationInfo=["https://certs.example/GOTS-1"],
                bizTransactionList=[
                    {"type": "po", "bizTransaction": "urn:example:po:7"},
                    {"type": "desadv", "bizTransaction": "urn:example:desadv:7"},
                    {"type": "https://ref.gs1.org/cbv/BTT-inv", "bizTransaction": "urn:example:inv:7"},
                    {"type": "prodorder", "bizTransaction": "urn:example:prod:7"},
                ],
                **{"ledger:documents": [{"kind": "plot_geolocation", "hash": "0x" + "ab" * 32}]},
                sensorElementList=[{"sensorReport": [{"type": "Temperature", "value": 21.5, "uom": "CEL"}]}],
            )
        )
    )
    batch = world.ledger.batch(job.results[0].produced[0])
    assert [(d.kind, d.hash) for d in batch.documents] == [
        (DocumentKind.CERTIFICATE, sha256_hex("https://certs.example/GOTS-1")),
        (DocumentKind.PURCHASE_ORDER, sha256_hex("urn:example:po:7")),
        (DocumentKind.DESPATCH_ADVICE, sha256_hex("urn:example:desadv:7")),
        (DocumentKind.INVOICE, sha256_hex("urn:example:inv:7")),
        (DocumentKind.OTHER, sha256_hex("urn:example:prod:7")),
        (DocumentKind.PLOT_GEOLOCATION, "0x" + "ab" * 32),
    ]
    stored = world.service.store.event(job.results[0].event_hash or "")
    assert stored is not None and stored.event["sensorElementList"][0]["sensorReport"][0]["value"] == 21.5


def test_a_duplicate_event_is_answered_with_the_first_result_and_not_recorded_twice(world: World) -> None:
    text = document(world.commission(q(COTTON, "A", 100)))
    first = world.capture(text)
    again = world.capture(text)
    assert statuses(again) == ["duplicate"]
    assert again.results[0].produced == first.results[0].produced
    assert again.results[0].transactions == first.results[0].transactions
    assert again.results[0].first_capture == first.id and again.root is None
    event = world.commission(q(COTTON, "B", 1), days_ago=4)  # one event (its time to the millisecond), twice
    twice = world.capture(document(event, dict(event)))
    assert statuses(twice) == ["recorded", "duplicate"]
    assert world.ledger.batch_count(world.factory.address) == 2


def test_an_event_dated_in_the_future_beyond_tolerance_is_refused(world: World) -> None:
    job = world.capture(
        document(
            world.commission(q(COTTON, "A", 1), days_ago=-0.1), world.commission(q(COTTON, "B", 1), days_ago=-0.02)
        )
    )
    assert statuses(job) == ["refused", "recorded"]  # 2.4 h ahead is beyond the hour allowed; 29 min is not
    assert "in the future" in (job.results[0].reason or "") and "tolerance 3600 s" in (job.results[0].reason or "")


def test_an_instance_level_event_without_quantities_is_refused(world: World) -> None:
    event = world.commission(q(COTTON, "A", 1))
    del event["quantityList"]
    event["epcList"] = ["urn:epc:id:sgtin:4012345.012345.1001"]
    job = world.capture(document(event))
    assert statuses(job) == ["refused"] and "instance-level EPCs only" in (job.results[0].reason or "")


def test_an_unmapped_event_type_and_a_class_without_lot_are_refused(world: World) -> None:
    custom = {"type": "https://ns.example/CustomEvent", "eventTime": when(), "eventTimeZoneOffset": "+00:00"}
    no_lot = world.commission({"epcClass": "urn:epc:idpat:sgtin:4012345.012345.*", "quantity": 5})
    job = world.capture(document(custom, no_lot))
    assert statuses(job) == ["refused", "refused"]
    assert "is not one the ledger maps" in (job.results[0].reason or "")
    assert "names no lot" in (job.results[1].reason or "")


def test_a_gtin_with_a_bad_check_digit_and_a_long_lot_are_refused_per_event(world: World) -> None:
    bad = COTTON[:-1] + str((int(COTTON[-1]) + 1) % 10)
    job = world.capture(
        document(
            world.commission({"epcClass": f"https://id.gs1.org/01/{bad}/10/A", "quantity": 5}),
            world.commission(q(COTTON, "L" * 21, 5)),
            world.commission(q(COTTON, "OK", 5)),
        )
    )
    assert statuses(job) == ["refused", "refused", "recorded"]
    assert "check digit" in (job.results[0].reason or "")
    assert "1-20 characters" in (job.results[1].reason or "")


def test_nothing_is_half_recorded_from_one_event(world: World) -> None:
    world.capture(document(world.commission(q(COTTON, "A", 100), q(YARN, "TAKEN", 1))))
    job = world.capture(document(world.transform([q(COTTON, "A", 50)], [q(YARN, "NEW", 10), q(YARN, "TAKEN", 10)])))
    assert statuses(job) == ["refused"] and "already recorded" in (job.results[0].reason or "")
    assert world.ledger.find_batch(COTTON, "A").remaining == Decimal(100)
    assert world.ledger.search_batches(gtin=YARN, lot="NEW") == []


def test_outputs_in_different_units_are_refused_rather_than_shared_by_a_guess(world: World) -> None:
    world.capture(document(world.commission(q(COTTON, "A", 100))))
    job = world.capture(document(world.transform([q(COTTON, "A", 50)], [q(CLOTH, "C", 10, "MTR"), q(YARN, "Y", 10)])))
    assert statuses(job) == ["refused"] and "different units (KGM, MTR)" in (job.results[0].reason or "")


def test_a_missing_hs_code_is_refused_with_how_to_give_it(world: World) -> None:
    event = world.commission(q(COTTON, "A", 100))
    del event["ilmd"]
    job = world.capture(document(event))
    assert statuses(job) == ["refused"] and "ledger:hsCode" in (job.results[0].reason or "")


def test_an_error_declaration_flags_what_the_declared_event_produced(world: World) -> None:
    original = world.commission(q(COTTON, "A", 100))
    first = world.capture(document(original))
    declared = {
        **original,
        "errorDeclaration": {
            "declarationTime": when(0),
            "reason": "incorrect_data",
            "correctiveEventIDs": ["urn:uuid:404d95fc-9457-4a51"],
        },
    }
    job = world.capture(document(declared))
    assert statuses(job) == ["recorded"] and job.results[0].event_hash == first.results[0].event_hash
    batch = world.ledger.batch(first.results[0].produced[0])
    (flag,) = batch.active_flags
    assert flag.kind is FlagKind.QUALITY_HOLD
    assert "incorrect_data" in flag.reason and "urn:uuid:404d95fc-9457-4a51" in flag.reason
    assert statuses(world.capture(document(declared))) == ["duplicate"]
    unknown = world.capture(
        document({**world.commission(q(COTTON, "Z", 1)), "errorDeclaration": {"declarationTime": when(0)}})
    )
    assert "never captured" in (unknown.results[0].reason or "")


def test_a_non_conformant_disposition_puts_the_producers_batch_on_hold(world: World) -> None:
    world.capture(document(world.commission(q(COTTON, "A", 100))))
    hold = {
        "type": "ObjectEvent",
        "eventTime": when(0.5),
        "eventTimeZoneOffset": "+00:00",
        "action": "OBSERVE",
        "bizStep": "inspecting",
        "disposition": "non_conformant",
        "quantityList": [q(COTTON, "A", 100)],
        "ledger:reason": "moisture above 8.5 %",
    }
    job = world.capture(document(hold))
    assert statuses(job) == ["recorded"]
    (flag,) = world.ledger.find_batch(COTTON, "A").active_flags
    assert (flag.kind, flag.reason) == (FlagKind.QUALITY_HOLD, "moisture above 8.5 %")
    other = world.capture(document({**hold, "eventTime": when(0.4)}), world.other)
    assert "only a batch's producer flags it" in (other.results[0].reason or "")
