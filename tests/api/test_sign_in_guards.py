"""What sign-in keeps is bounded: used nonces are pruned once expired (a real SQLite file), and the per-client rate
tracks a bounded number of client addresses."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.sign_in_guards import SignInRate, SignInRateError, UsedNonces


def test_a_nonce_is_taken_once_and_expired_ones_are_pruned(tmp_path: Path) -> None:
    path = str(tmp_path / "auth" / "used-nonces.sqlite")
    used = UsedNonces(path)
    assert used.take("a" * 26, expires=1_000.0, now=900.0)
    assert not used.take("a" * 26, expires=1_000.0, now=901.0)  # the second taker loses
    assert used.take("b" * 26, expires=1_100.0, now=950.0)
    assert used.count() == 2
    used.close()
    reopened = UsedNonces(path)  # a restart: still used
    assert reopened.used("a" * 26) and not reopened.take("a" * 26, expires=1_000.0, now=960.0)
    assert reopened.take("c" * 26, expires=1_300.0, now=1_050.0)  # "a" expired at 1000: pruned
    assert reopened.count() == 2 and not reopened.used("a" * 26)


def test_an_unusable_nonce_file_is_moved_aside_and_sign_in_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "used-nonces.sqlite"
    path.write_bytes(b"not a database" * 100)
    used = UsedNonces(str(path))
    assert used.moved_aside is not None and used.take("d" * 26, expires=2e9)


def test_the_rate_refills_evenly_and_answers_when_to_retry() -> None:
    rate = SignInRate(per_minute=2)
    rate.spend("10.0.0.1", now=0.0)
    rate.spend("10.0.0.1", now=0.0)
    with pytest.raises(SignInRateError) as refused:
        rate.spend("10.0.0.1", now=1.0)
    assert 1 <= refused.value.retry_after <= 30
    rate.spend("10.0.0.1", now=31.0)  # one attempt back every 30 s
    rate.spend("10.0.0.2", now=1.0)  # another client has its own


def test_the_rate_tracks_a_bounded_number_of_clients() -> None:
    rate = SignInRate(per_minute=1, max_clients=100)
    for n in range(1_000):
        rate.spend(f"10.0.{n // 256}.{n % 256}", now=0.0)
    assert len(rate) == 100
    with pytest.raises(SignInRateError):  # the most recent clients are still held to their rate
        rate.spend("10.0.3.231", now=0.0)
