"""Relaying signed requests: the relayer, its outbox (every request with its raw transaction, before the broadcast)
and the keyed locks that serialise one sender's writes."""
