"""Ending a user's sockets reaches every web process through Redis (ClosingRedisManager).

Two Socket.IO servers stand for two web processes: each has its own manager on a Redis
channel of its own for this test, as `make prod` runs them. A socket held by the second is
disconnected when the first closes its user's (or business's) room; the others stay connected.
"""
from __future__ import annotations

import os
import time
import uuid

import pytest
import socketio

from server.services.realtime import ClosingRedisManager, user_room

REDIS_URL = os.environ.get("KESHER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis():
    try:
        import redis
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        client.ping()
        return client
    except Exception:  # noqa: BLE001
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")


def _web_process(channel):
    server = socketio.Server(async_mode="threading",
                             client_manager=ClosingRedisManager(REDIS_URL, channel=channel))
    sent = []
    server._send_packet = lambda eio_sid, pkt: sent.append((eio_sid, pkt.packet_type))
    server.manager.initialize()  # starts the Redis listener, as the first connection would
    return server, sent


def _wait(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_closing_a_users_room_disconnects_their_sockets_in_another_process():
    from socketio import packet

    redis_client = _redis()
    channel = f"kesher-test-revoke-{uuid.uuid4().hex[:10]}"
    here, _ = _web_process(channel)
    there, sent_there = _web_process(channel)  # their listener threads end with the test run
    assert _wait(lambda: redis_client.pubsub_numsub(channel)[0][1] >= 2), "listeners never subscribed"
    staff_sid = there.manager.connect("eio-staff", "/")
    there.manager.enter_room(staff_sid, "/", user_room(7))
    there.manager.enter_room(staff_sid, "/", "business:3")
    colleague_sid = there.manager.connect("eio-colleague", "/")
    there.manager.enter_room(colleague_sid, "/", user_room(8))
    there.manager.enter_room(colleague_sid, "/", "business:3")

    here.manager.close_room(user_room(7), "/")

    assert _wait(lambda: not there.manager.is_connected(staff_sid, "/"))
    assert ("eio-staff", packet.DISCONNECT) in sent_there
    assert [sid for sid, _ in there.manager.get_participants("/", "business:3")] == [colleague_sid]
    assert there.manager.is_connected(colleague_sid, "/")


def test_closing_a_businesss_room_disconnects_its_sockets_in_another_process():
    redis_client = _redis()
    channel = f"kesher-test-revoke-{uuid.uuid4().hex[:10]}"
    here, _ = _web_process(channel)
    there, _ = _web_process(channel)
    assert _wait(lambda: redis_client.pubsub_numsub(channel)[0][1] >= 2), "listeners never subscribed"
    staff_sid = there.manager.connect("eio-staff", "/")
    there.manager.enter_room(staff_sid, "/", "business:3")
    admin_sid = there.manager.connect("eio-platform-admin", "/")
    there.manager.enter_room(admin_sid, "/", "platform")

    here.manager.close_room("business:3", "/")

    assert _wait(lambda: not there.manager.is_connected(staff_sid, "/"))
    assert there.manager.is_connected(admin_sid, "/")
