"""HTTP clients of the service: `signer` (ApiSigner: calldata, signing, sign-in) and `epcis` (capture over HTTP)."""
