"""OpenAI chat completions in streaming mode (`"stream": true`, server-sent events), so a live
call can speak the first sentence while the model is still writing the rest.

Same prompt, CRM context and intent rules as the one-shot adapter (it is reused, not copied).
"""
from __future__ import annotations

import json
from collections.abc import Iterator

import requests

from server.providers.errors import ProviderError
from server.providers.http import describe_http_error
from server.providers.reply import CallerContext, ReplyResult
from server.providers.reply.offline import detect_intents
from server.providers.reply.openai import OpenAIReply


class OpenAIStreamingReply(OpenAIReply):
    name = "openai"

    def stream(self, transcript: str, ctx: CallerContext) -> Iterator[str]:
        """Yields the reply's text as it arrives; ProviderError on any failure."""
        if not self.api_key:
            raise ProviderError(self.name, "OPENAI_API_KEY is not set")
        body = {"model": self.model, "messages": self.messages(transcript, ctx), "temperature": 0.2,
                "max_tokens": 200, "stream": True}
        try:
            response = requests.post(f"{self.base_url}/chat/completions", json=body, stream=True,
                                     headers={"Authorization": f"Bearer {self.api_key}",
                                              "Accept": "text/event-stream"}, timeout=self.timeout)
            response.raise_for_status()
        except requests.RequestException as exc:
            raise ProviderError(self.name, describe_http_error(exc)) from exc
        got_any = False
        try:
            for line in response.iter_lines(decode_unicode=False):
                if not line or not line.startswith(b"data:"):
                    continue
                data = line[5:].strip()
                if data == b"[DONE]":
                    break
                try:
                    chunk = json.loads(data)
                    delta = chunk["choices"][0].get("delta", {}).get("content") if chunk.get("choices") else None
                except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
                    raise ProviderError(self.name, "malformed stream chunk") from exc
                if isinstance(delta, str) and delta:
                    got_any = True
                    yield delta
        except requests.RequestException as exc:
            raise ProviderError(self.name, describe_http_error(exc)) from exc
        finally:
            response.close()
        if not got_any:
            raise ProviderError(self.name, "empty reply")

    def result(self, transcript: str, ctx: CallerContext, text: str) -> ReplyResult:
        intents = detect_intents(transcript)
        actions = [{"type": "callback", "note": transcript}] if (
            ctx.can_take_callback and ("callback" in intents or "human" in intents)) else []
        return ReplyResult(text=text.strip(), provider=self.name, intents=intents, actions=actions)
