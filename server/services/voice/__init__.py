"""Phone calls (seed section 2, issues 8, 12, 16): one package, two paths, one policy.

- calls.py       the CallLog: created on incoming_call, status callbacks, the end of a call
- turns.py       the record path: <Record> → a turn → what the caller hears next
- runner.py      where a recorded turn runs (a claimed thread, a deadline, the guard job)
- pipeline.py    one turn's stages: transcribe → answer → speak (also /api/agent/try)
- context.py     what the reply provider may know of the caller (CRM, hours, verification)
- summary.py     the call's Hebrew summary and intent, when it ends
- policy.py      pure: farewell, keys, a person, the turn limit → a Directive with a Reason
- prompts.py     every sentence the agent says on its own
- twiml.py       every TwiML answer, rendered in one place
- stream/        the streamed path (Twilio Media Streams): binding, session, turn, turn_taking

Nothing here imports server/tasks: jobs are queued by name (server/jobs.py).
"""
