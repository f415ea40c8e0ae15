"""The benchmark's yardsticks stay true: the hand-written reference returns titlerules'
decision exactly, the generator is deterministic and reaches every verdict, and each
installed peer engine agrees with titlerules (nothing here is timed)."""

from __future__ import annotations

import importlib
import sys
from collections import Counter

import pytest

import titlerules

from .conftest import ROOT

sys.path.insert(0, str(ROOT))

from bench import reference
from bench.documents import generate

DOCS = generate(300, seed=7)


def test_the_generator_is_seeded_and_reaches_every_verdict(lishui: titlerules.Policy) -> None:
    assert generate(50, seed=7) == DOCS[:50]
    assert generate(50, seed=8) != DOCS[:50]
    verdicts = Counter(str(lishui.evaluate(d, as_of=a).verdict) for d, a in DOCS)
    assert set(verdicts) == {"eligible", "ineligible", "pending"}


def test_the_reference_decision_is_titlerules_decision(lishui: titlerules.Policy) -> None:
    for document, as_of in DOCS:
        assert reference.decide(document, as_of) == lishui.evaluate(document, as_of=as_of).to_dict()


def test_the_reference_verdict_is_titlerules_verdict(lishui: titlerules.Policy) -> None:
    for document, as_of in DOCS:
        assert reference.verdict(document, as_of) == str(lishui.verdict(document, as_of=as_of))


@pytest.mark.parametrize(
    ("module", "engine"), [("zen_peer", "zen"), ("rule_engine_peer", "rule_engine"), ("cel_peer", "celpy")]
)
def test_each_peer_agrees_with_titlerules(lishui: titlerules.Policy, module: str, engine: str) -> None:
    pytest.importorskip(engine, reason="the peer engines come with the bench extra")
    peer = importlib.import_module(f"bench.peers.{module}").Peer()
    for document, as_of in DOCS[:100]:
        assert peer.verdict(document, as_of) == str(lishui.evaluate(document, as_of=as_of).verdict)
