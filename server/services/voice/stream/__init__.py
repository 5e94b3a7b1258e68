"""Realtime voice over Twilio bidirectional Media Streams (issue 12).

- binding.py      the stream's call: one-time tokens, start and end, <Connect action>
- session.py      one websocket conversation: frames, voice activity, turns, barge-in
- turn.py         one streamed turn: reply sentence by sentence → speech → the caller
- turn_taking.py  the Hebrew end-of-turn rule and its per-business tuning
"""
