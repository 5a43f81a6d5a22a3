"""The parts of web/fanout.py that decide, without a server: which documents are shared, and
how frames reach a socket that stops reading.

The websocket here is a stand-in whose send can be held, the one thing a real client cannot
be made to do on cue; everything end to end is in test_live_subscriptions.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from schema.main import schema
from tests.live import BOARD_SUBSCRIPTION
from web import fanout
from web.fanout import Member, Outbox


class HeldSocket:
    """Sends complete at once, unless held; then they wait until released."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.gate: asyncio.Future[None] | None = None
        self.closed_with: tuple[int, str] | None = None

    def hold(self) -> None:
        self.gate = asyncio.get_running_loop().create_future()

    def release(self) -> None:
        assert self.gate is not None
        self.gate.set_result(None)
        self.gate = None

    async def send_text(self, frame: str) -> None:
        if self.gate is not None:
            await self.gate
        self.sent.append(frame)

    async def close(self, code: int, reason: str) -> None:
        self.closed_with = (code, reason)


def member(outbox: Outbox, operation_id: str = "1") -> Member:
    return Member(None, outbox, operation_id)  # type: ignore[arg-type]


def frames(socket: HeldSocket) -> list[str]:
    return [frame.split('"payload":')[1][:-1] for frame in socket.sent]


async def test_frames_go_out_at_once_while_the_client_reads() -> None:
    socket = HeldSocket()
    outbox = Outbox(socket)  # type: ignore[arg-type]
    one = member(outbox)
    for n in range(3):
        one.send({"position": n + 1}, str(n))
        # Written within the call: no task, no turn of the event loop.
        assert frames(socket) == [str(i) for i in range(n + 1)]
    assert socket.sent[0] == '{"id":"1","type":"next","payload":0}'


async def test_frames_queue_in_order_behind_a_client_that_stopped_reading() -> None:
    socket = HeldSocket()
    outbox = Outbox(socket)  # type: ignore[arg-type]
    one, two = member(outbox, "1"), member(outbox, "2")
    socket.hold()
    one.send({"position": 1}, "a")
    two.send({"position": 1}, "b")
    one.send({"position": 2}, "c")
    assert socket.sent == []

    socket.release()
    await asyncio.wait_for(outbox._task, 5)  # type: ignore[arg-type]
    assert frames(socket) == ["a", "b", "c"]
    # Caught up: the next frame goes out at once again.
    one.send({"position": 3}, "d")
    assert frames(socket)[-1] == "d"


async def test_a_client_too_far_behind_is_closed_to_resume_later() -> None:
    socket = HeldSocket()
    outbox = Outbox(socket)  # type: ignore[arg-type]
    one = member(outbox)
    socket.hold()
    for n in range(fanout.MAX_QUEUED_FRAMES + 2):
        one.send({"position": n + 1}, str(n))
    await asyncio.wait_for(outbox._closing, 5)  # type: ignore[arg-type]

    assert socket.closed_with is not None
    assert socket.closed_with[0] == fanout.SLOW_CLIENT_CLOSE
    assert "after" in socket.closed_with[1]
    one.send({"position": 10**6}, "late")
    socket.release()
    await asyncio.sleep(0)
    assert "late" not in frames(socket)


async def test_frames_of_a_finished_operation_are_dropped() -> None:
    socket = HeldSocket()
    outbox = Outbox(socket)  # type: ignore[arg-type]
    done, going = member(outbox, "done"), member(outbox, "going")
    socket.hold()
    done.send({"position": 1}, "x")  # already being written when held
    done.send({"position": 2}, "y")
    going.send({"position": 2}, "z")
    done.open = False
    socket.release()
    await asyncio.wait_for(outbox._task, 5)  # type: ignore[arg-type]

    assert frames(socket) == ["x", "z"]


async def test_nothing_is_written_for_a_subscription_that_ended() -> None:
    socket = HeldSocket()
    outbox = Outbox(socket)  # type: ignore[arg-type]
    ended = member(outbox)
    ended.open = False
    ended.send({"position": 1}, "late")

    assert socket.sent == []
    assert ended.last == 0


def plan(query: str, operation_name: str | None = None) -> Any:
    fanout._plan.cache_clear()
    return fanout._plan(schema, query, operation_name)


def test_the_board_document_is_shared_across_cursors() -> None:
    found = plan(BOARD_SUBSCRIPTION)
    assert found is not None
    assert found.after_variable == "after"


@pytest.mark.parametrize(
    "query",
    [
        "subscription { dispatchEvents(date: 1) { cursor } }",  # invalid: Strawberry reports it
        'subscription { dispatchEvents(date: "2030-01-01") { cursor',  # syntax error
        "query { __typename }",
        'subscription { dispatchEvents(date: "2030-01-01") @include(if: true) { cursor } }',
        'subscription { a: dispatchEvents(date: "2030-01-01") { cursor } '
        'b: dispatchEvents(date: "2030-01-02") { cursor } }',
    ],
    ids=["invalid", "syntax", "query", "directive", "two-root-fields"],
)
def test_documents_strawberry_must_run_are_not_shared(query: str) -> None:
    assert plan(query) is None


def test_a_cursor_variable_used_elsewhere_keeps_screens_apart() -> None:
    query = """
    subscription ($date: Date!, $after: String) {
      dispatchEvents(date: $date, after: $after) {
        cursor job { notes(first: 5, after: $after) { totalCount } }
      }
    }
    """
    found = plan(query)
    assert found is not None
    assert found.after_variable is None
