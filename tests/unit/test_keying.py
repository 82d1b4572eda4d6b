"""Company-scoped events reach their company's partition state, wherever they landed."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import pytest
from aiokafka.partitioner import murmur2
from hypothesis import given
from hypothesis import strategies as st

from stream.homes import HomePartitions, home_partition, murmur2_many
from stream.worker.keying import FORWARDED_FROM
from stream.worker.scorer import Scorer
from tests.unit.edge.conftest import event
from tests.unit.worker_parts import TOPICS, FakeRecord, empty_state, new_scorer

PARTITIONS = 4


def _scorer(*topics: str) -> Scorer:
    scorer = new_scorer()
    scorer.partition_counts.update(dict.fromkeys(topics, PARTITIONS))
    return scorer


def _records(topic: str, partition: int, events: list[dict[str, Any]]) -> list[FakeRecord]:
    return [
        FakeRecord(topic, partition, offset, b"k", orjson.dumps(e))
        for offset, e in enumerate(events)
    ]


# Companies whose home partitions (of 4) differ, found once.
COMPANIES = [f"Company {i}" for i in range(40)]
HOME = {c: home_partition(c, PARTITIONS) for c in COMPANIES}
AWAY = next(c for c in COMPANIES if HOME[c] != 0)  # lands on 0, belongs elsewhere
HERE = next(c for c in COMPANIES if HOME[c] == 0)


def test_home_partitions_are_those_of_the_java_client() -> None:
    # Kafka's own test vectors (UtilsTest.testMurmur2), made positive as the partitioner does.
    vectors = {"21": -973932308, "foobar": -790332482, "a-little-bit-long-string": -985981536,
               "a-little-bit-longer-string": -1486304829, "abc": 479470107}  # fmt: skip
    for key, signed in vectors.items():
        assert home_partition(key, 1000) == (signed & 0x7FFFFFFF) % 1000


NAMES = st.text(min_size=1, max_size=40)


@given(st.lists(st.lists(NAMES | st.sampled_from(COMPANIES[:6]), max_size=30), max_size=4),
       st.integers(1, 64))  # fmt: skip
def test_remembered_hashes_give_the_same_partitions(batches: list[list[str]], n: int) -> None:
    homes = HomePartitions(max_remembered=8)  # starts afresh several times
    for companies in batches:
        got = homes.of(companies, n).tolist()
        assert got == [home_partition(c, n) for c in companies]


@given(st.lists(NAMES | st.text(alphabet="éü日本\x00", max_size=9), max_size=60))
def test_the_vectorised_hash_is_kafkas_murmur2(keys: list[str]) -> None:
    assert murmur2_many(keys).tolist() == [murmur2(k.encode()) for k in keys]


def test_a_shipment_on_another_partition_is_forwarded_not_scored() -> None:
    scorer = _scorer(TOPICS.shipments)
    records = _records(TOPICS.shipments, 0, [
        event("shipment", event_id="here", company=HERE),
        event("shipment", event_id="away", company=AWAY),
    ])  # fmt: skip
    state = empty_state(0)
    outgoing, report = scorer.apply(state, scorer.prepare(records))

    forwards = [o for o in outgoing if o.topic == TOPICS.shipments]
    assert len(forwards) == 1
    sent = forwards[0]
    assert (sent.key, sent.value, sent.partition) == (b"k", records[1].value, HOME[AWAY])
    assert dict(sent.headers)[FORWARDED_FROM] == b"0/1"
    assert (report.applied, report.forwarded) == (1, 1)
    assert state.engine.lookup(np.array([HERE, AWAY]), np.array(["Dy", "Dy"])).tolist()[1] == -1

    # At home, the forwarded record is scored like any other.
    home = empty_state(HOME[AWAY])
    arrived = [FakeRecord(TOPICS.shipments, HOME[AWAY], 7, sent.key, sent.value)]
    outgoing, report = scorer.apply(home, scorer.prepare(arrived))
    assert (report.applied, report.forwarded) == (1, 0)
    assert [o.key for o in outgoing if o.topic == TOPICS.scores] == [f"{AWAY}|Dy".encode()]


def test_a_profile_is_forwarded_with_its_origin_shares() -> None:
    scorer = _scorer(TOPICS.profiles)
    profile = event("profile", company=AWAY, origin_shares={"CN": 0.8, "AU": 0.2})
    prepared = scorer.prepare(_records(TOPICS.profiles, 0, [profile]))
    assert prepared.forwards == [(0, HOME[AWAY])]
    assert (len(prepared.batch.profiles), len(prepared.batch.profile_shares)) == (0, 0)


def test_licence_decisions_named_for_a_company_go_home_and_country_wide_ones_stay() -> None:
    scorer = _scorer(TOPICS.licence_decisions)
    records = _records(TOPICS.licence_decisions, 0, [
        event("licence_decision", event_id="wide", company=None),
        event("licence_decision", event_id="named", company=AWAY),
    ])  # fmt: skip
    prepared = scorer.prepare(records)
    assert prepared.forwards == [(1, HOME[AWAY])]
    owner, other = empty_state(0), empty_state(HOME[AWAY])
    sent, report = scorer.apply(owner, prepared, owner=True)
    assert report.forwarded == 1
    assert [o.partition for o in sent if o.topic == TOPICS.licence_decisions] == [HOME[AWAY]]
    sent, report = scorer.apply(other, prepared, owner=False)
    assert report.forwarded == 0  # the owner of the record forwards it, once
    assert not [o for o in sent if o.topic == TOPICS.licence_decisions]


def test_a_fetch_of_several_partitions_forwards_each_record_from_its_own_part() -> None:
    scorer = _scorer(TOPICS.shipments)
    shipments = [event("shipment", event_id=f"s-{c}", company=c) for c in COMPANIES[:8]]
    fetch = {(TOPICS.shipments, p): _records(TOPICS.shipments, p, shipments) for p in range(4)}
    prepared = scorer.prepare_fetch(fetch)
    for (_, p), records in fetch.items():
        part = prepared[(TOPICS.shipments, p)]
        moved = [records[i].value for i, _ in part.forwards]
        assert moved == [r.value for r, c in zip(records, COMPANIES, strict=False) if HOME[c] != p]
        assert set(part.batch.shipments.company.tolist()) == {
            c for c in COMPANIES[:8] if HOME[c] == p
        }


@pytest.mark.parametrize("topic", [TOPICS.shipments, TOPICS.profiles])
def test_without_partition_counts_nothing_is_checked(topic: str) -> None:
    scorer = _scorer()  # e.g. before the worker learned the topics' partition counts
    kind = "shipment" if topic == TOPICS.shipments else "profile"
    prepared = scorer.prepare(_records(topic, 0, [event(kind, company=AWAY)]))
    assert prepared.forwards == []


def test_each_state_keeps_the_news_rows_of_its_own_companies_only() -> None:
    scorer = _scorer(TOPICS.shipments)
    item = event("news", companies=COMPANIES[:8], materials=["Dy"], category="export_control")
    prepared = scorer.prepare(_records(TOPICS.news, 0, [item]))
    for partition in range(PARTITIONS):
        state = empty_state(partition)
        _, report = scorer.apply(state, prepared, owner=partition == 0)
        names = state.engine._state.company_names  # named by the news rows it applied
        assert set(names.take(np.arange(len(names))).tolist()) == {
            c for c in COMPANIES[:8] if HOME[c] == partition
        }
        if partition == 0:
            assert report.applied == 1  # counted by the record's own state, all rows
