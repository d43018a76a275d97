-- Read model of the ledger's events. Every row carries the block it came from, so a reorg rolls back with
-- `DELETE ... WHERE block_number > fork`. Mutable state (holder, remaining, suspension, revocation) is derived
-- from append-only rows at query time, never updated in place.
-- Values the contract types as uint64 (quantities, emissions, production times) are stored as decimal TEXT: SQLite's
-- INTEGER is a signed 64-bit number and cannot hold every value a participant may write.
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;

CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, hash TEXT NOT NULL, timestamp INTEGER NOT NULL);

CREATE TABLE IF NOT EXISTS participants (
    address TEXT PRIMARY KEY, idx INTEGER NOT NULL, legal_name TEXT NOT NULL, country TEXT NOT NULL,
    organisation_id TEXT, profile_hash TEXT, party_gln TEXT, tx_hash TEXT NOT NULL, block_number INTEGER NOT NULL,
    log_index INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS participants_party ON participants(party_gln);
CREATE TABLE IF NOT EXISTS sites (
    gln TEXT PRIMARY KEY, address TEXT NOT NULL, subdivision TEXT NOT NULL, block_number INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS sites_address ON sites(address);
CREATE TABLE IF NOT EXISTS roles (
    address TEXT NOT NULL, role TEXT NOT NULL, granted INTEGER NOT NULL, block_number INTEGER NOT NULL,
    log_index INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS roles_address ON roles(address);
CREATE TABLE IF NOT EXISTS statuses (
    address TEXT NOT NULL, suspended INTEGER NOT NULL, reason TEXT NOT NULL, tx_hash TEXT NOT NULL,
    block_number INTEGER NOT NULL, log_index INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS statuses_address ON statuses(address);

CREATE TABLE IF NOT EXISTS batches (
    id TEXT PRIMARY KEY, producer TEXT NOT NULL, gtin TEXT NOT NULL, lot TEXT NOT NULL, hs_code TEXT NOT NULL,
    quantity TEXT NOT NULL, unit TEXT NOT NULL, facility TEXT NOT NULL, produced_at TEXT NOT NULL,
    emissions TEXT, tx_hash TEXT NOT NULL, block_number INTEGER NOT NULL, log_index INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS batches_gtin_lot ON batches(gtin, lot);
CREATE INDEX IF NOT EXISTS batches_producer ON batches(producer);
CREATE INDEX IF NOT EXISTS batches_block ON batches(block_number);
CREATE TABLE IF NOT EXISTS inputs (
    batch_id TEXT NOT NULL, input_id TEXT NOT NULL, quantity TEXT NOT NULL, position INTEGER NOT NULL,
    block_number INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS inputs_batch ON inputs(batch_id);
CREATE INDEX IF NOT EXISTS inputs_input ON inputs(input_id);
CREATE TABLE IF NOT EXISTS documents (
    batch_id TEXT NOT NULL, hash TEXT NOT NULL, kind INTEGER NOT NULL, position INTEGER NOT NULL,
    block_number INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS documents_batch ON documents(batch_id);
CREATE INDEX IF NOT EXISTS documents_hash ON documents(hash);
CREATE TABLE IF NOT EXISTS custody (
    batch_id TEXT NOT NULL, from_address TEXT NOT NULL, to_address TEXT NOT NULL, remaining TEXT NOT NULL,
    tx_hash TEXT NOT NULL, block_number INTEGER NOT NULL, log_index INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS custody_batch ON custody(batch_id);
CREATE INDEX IF NOT EXISTS custody_to ON custody(to_address);
CREATE INDEX IF NOT EXISTS custody_from ON custody(from_address);
CREATE TABLE IF NOT EXISTS flags (
    batch_id TEXT NOT NULL, kind INTEGER NOT NULL, reason TEXT NOT NULL, tx_hash TEXT NOT NULL,
    block_number INTEGER NOT NULL, log_index INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS flags_batch ON flags(batch_id);
CREATE TABLE IF NOT EXISTS anchors (
    root TEXT PRIMARY KEY, producer TEXT NOT NULL, count INTEGER NOT NULL, uri TEXT NOT NULL, tx_hash TEXT NOT NULL,
    block_number INTEGER NOT NULL, log_index INTEGER NOT NULL);

CREATE TABLE IF NOT EXISTS disclosure_versions (
    disclosure_id TEXT NOT NULL, version INTEGER NOT NULL, participant TEXT NOT NULL, period TEXT NOT NULL,
    framework TEXT NOT NULL, metrics TEXT NOT NULL, document_hash TEXT NOT NULL, uri TEXT NOT NULL,
    supersedes INTEGER NOT NULL, reason TEXT NOT NULL, content_hash TEXT NOT NULL, is_public INTEGER NOT NULL,
    tx_hash TEXT NOT NULL, block_number INTEGER NOT NULL, log_index INTEGER NOT NULL,
    PRIMARY KEY (disclosure_id, version));
CREATE INDEX IF NOT EXISTS disclosures_participant ON disclosure_versions(participant);
CREATE TABLE IF NOT EXISTS attestations (
    disclosure_id TEXT NOT NULL, version INTEGER NOT NULL, auditor TEXT NOT NULL, level INTEGER NOT NULL,
    opinion INTEGER NOT NULL, report_hash TEXT NOT NULL, tx_hash TEXT NOT NULL, block_number INTEGER NOT NULL,
    log_index INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS attestations_disclosure ON attestations(disclosure_id);
CREATE TABLE IF NOT EXISTS revocations (
    disclosure_id TEXT NOT NULL, version INTEGER NOT NULL, auditor TEXT NOT NULL, reason TEXT NOT NULL,
    tx_hash TEXT NOT NULL, block_number INTEGER NOT NULL, log_index INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS revocations_disclosure ON revocations(disclosure_id);

-- Roots over captured EPCIS events' hashes (the events themselves are kept by the service that captured them).
CREATE TABLE IF NOT EXISTS event_roots (
    root TEXT PRIMARY KEY, committer TEXT NOT NULL, count INTEGER NOT NULL, uri TEXT NOT NULL, tx_hash TEXT NOT NULL,
    block_number INTEGER NOT NULL, log_index INTEGER NOT NULL);

-- Anchored records brought on chain by their producer (`claimAnchoredBatch`): recorded batches, with the root.
CREATE TABLE IF NOT EXISTS anchor_claims (
    batch_id TEXT PRIMARY KEY, root TEXT NOT NULL, block_number INTEGER NOT NULL, log_index INTEGER NOT NULL);

-- Records anchored under a Merkle root, known to this instance from anchor bundles (off-chain data, so a reorg does
-- not delete them: a record counts as anchored only while its root is in `anchors`, which is rolled back).
CREATE TABLE IF NOT EXISTS anchored_records (
    batch_id TEXT NOT NULL, root TEXT NOT NULL, producer TEXT NOT NULL, gtin TEXT NOT NULL, lot TEXT NOT NULL,
    proof TEXT NOT NULL, PRIMARY KEY (batch_id, root));
CREATE INDEX IF NOT EXISTS anchored_records_root ON anchored_records(root);

-- Window end blocks without events: kept only while recent, for their hashes (reorg detection). Blocks holding events
-- are never pruned: their timestamps date the events.
CREATE TABLE IF NOT EXISTS window_ends (number INTEGER PRIMARY KEY);

-- Events this index could not interpret (a bug of ours, or a contract we do not know): kept with their raw log and the
-- error, counted by /health and shown on the batch they name, while the sync goes on past them.
CREATE TABLE IF NOT EXISTS unreadable_events (
    block_number INTEGER NOT NULL, log_index INTEGER NOT NULL, tx_hash TEXT NOT NULL, event TEXT NOT NULL,
    batch_id TEXT, error TEXT NOT NULL, topics TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (block_number, log_index));
CREATE INDEX IF NOT EXISTS unreadable_batch ON unreadable_events(batch_id);
