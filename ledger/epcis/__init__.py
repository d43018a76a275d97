"""GS1 EPCIS 2.0 for the ledger: capture EPCIS documents as ledger writes, commit their CBV 2.0 event hashes on
chain, serve them back (query, lineage export) and resolve GS1 Digital Link URIs.

    document   bounded parsing of an EPCIS document (size, nesting, event count) and its events
    schema     validation against the official EPCIS 2.0 JSON Schema (vendored in data/)
    keys       GS1 keys: EPC URNs, Digital Link URIs and element strings (biip) -> GTIN, lot, GLN
    vocabulary CBV values in any of their spellings (bare, URN, Web URI), and the ledger's extension namespace
    hashing    CBV 2.0 event hashes (the reference implementation, epcis-event-hash-generator, offline)
    model      the typed objects: facts, planned events and writes, capture jobs and their results
    facts      what the mapping asks the chain, answered by the index (service) or replayed (client)
    reading    an event's time, lot-level quantities and parties, as the mapping reads them
    evidence   documents (certificationInfo, bizTransactionList) and lot master data (ilmd) of an event
    allocation how a transformation's inputs are shared among its outputs
    overlay    the chain as a plan sees it, with what the events planned so far change
    mapping    one event -> its effect on the ledger, or a refusal with the reason (every mapping rule)
    planning   a document -> the writes to sign (in order), per-event outcomes, the Merkle root of the hashes
    capture    the client's signed submission (prepare, sign) and the service's checks (facts, submit)
    job        the service's capture job: map again, compare, relay, commit, store
    store      the service's SQLite store of captured events and capture jobs; describe: what it indexes
    query      GET /events: EPCIS query parameters over the stored events
    export     a batch's lineage as an EPCISDocument (captured events as stored, native records synthesised)
    digital_link  GET /01/{gtin}[/10/{lot}][/21/{serial}]: a redirect or an RFC 9264 linkset (GS1 resolver)
    verify     prove events against the chain without the service
    service    one object per process holding the store and the job queue: one call per route

The client side over HTTP is `ledger.apiclient.epcis`; the demo chain captured from EPCIS documents is
`ledger.demo.epcis`. Nothing here imports the API layer.
"""
