"""The chain layer: the connection (`connection.Chain`), the codec between contract structs and domain types, calls
and their decoding, reverts as typed errors, signing, the forwarder's checks, compiling, deploying, the local node
and the compiled artifacts (`artifacts/`)."""
