"""Follow-ups that run themselves (issue 19 §3).

- settings.py: each business's switches and texts (schemas/automations.py), audited.
- missed_call.py: a call that ended without a conversation → one WhatsApp per number per Israel day.
- away.py: `on_inbound_whatsapp(message)`: the away message, once per conversation per closed period.
- opt_out.py: `record_opt_out_if_asked(message)`: "הסר" marks the customer opted out.
- campaigns.py: an approved template to a filtered list, in rate-limited batches, swept.
- hours.py: whether the business is open, and which closed period a moment falls in.

Each firing is an AutomationRun with a unique (business, kind, dedupe_key), inserted in the same
transaction as its WhatsApp message: a key that exists means it already went.
"""
