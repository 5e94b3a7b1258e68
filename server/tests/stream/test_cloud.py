"""With OPENAI_API_KEY set the reply streams from OpenAI's chat API (a local server speaking
its SSE format): the first sentence is spoken before the model has finished; when the API
fails the offline responder answers and the fallback is kept on the turn."""
from __future__ import annotations

import pytest

from server.tests.stream.conftest import CALLER, stream_state, turns_of
from server.tests.stream.fake_openai import FakeOpenAI
from server.tests.stream.media_client import hebrew_speech


@pytest.fixture()
def cloud(app, monkeypatch):
    fakes = []

    def start(**kwargs) -> FakeOpenAI:
        fake = FakeOpenAI(**kwargs)
        fakes.append(fake)
        for key, value in {"REPLY_PROVIDER": "openai", "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.url,
                           "PROVIDER_TIMEOUT": 5}.items():
            monkeypatch.setitem(app.config, key, value)
        return fake
    yield start
    for fake in fakes:
        fake.close()


def _talk(client, phrase):
    assert client.wait_for(lambda: client.messages("mark"), timeout=30), "no greeting"
    assert client.wait_quiet()
    before = len(client.messages("mark"))
    client.say(hebrew_speech(phrase))
    assert client.wait_for(lambda: len(client.messages("mark")) > before, timeout=30), "no answer"


@pytest.mark.realtime
def test_first_sentence_is_spoken_while_the_model_is_still_writing(db, open_stream, stream_business, cloud):
    # The second sentence comes 2 s after the first: its audio cannot be what the caller hears first.
    fake = cloud(pieces=["שלום", " דנה", "!", " אנחנו", " פתוחים", " עד", " חמש", "."], pause_after=3, pause_s=2.0)
    client = open_stream()
    client.begin(CALLER)
    _talk(client, "מה שעות הפתיחה שלכם")
    first_audio = client.first_media_after(client.speech_ended_at)
    assert fake.finished_at is None or first_audio < fake.finished_at
    assert client.wait_for(lambda: fake.finished_at is not None, timeout=10)
    client.wait_quiet()
    client.stop()

    stream_state(db, client.call_sid)
    [turn] = turns_of(db, client.call_sid)
    assert turn.status == "played" and turn.reply_provider == "openai" and turn.fallbacks == []
    assert turn.reply == "שלום דנה! אנחנו פתוחים עד חמש."
    assert turn.latencies["sentences_sent"] == 2 == turn.latencies["sentences_played"]
    assert turn.latencies["reply_first_ms"] < turn.latencies["reply_ms"] - 1500
    assert fake.requests[0]["body"]["messages"][-1]["content"] == turn.transcript


@pytest.mark.realtime
def test_cloud_failure_falls_back_to_the_offline_responder_visibly(db, open_stream, stream_business, cloud):
    cloud(pieces=[], status=500)
    client = open_stream()
    client.begin(CALLER)
    _talk(client, "מה שעות הפתיחה שלכם")
    client.wait_quiet()
    client.stop()

    stream_state(db, client.call_sid)
    [turn] = turns_of(db, client.call_sid)
    assert turn.status == "played" and turn.reply_provider == "offline"
    assert turn.fallbacks and turn.fallbacks[0]["stage"] == "reply" and "500" in turn.fallbacks[0]["reason"]
    assert turn.reply
