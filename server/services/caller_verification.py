"""A second factor before the phone agent reads a customer's records.

Caller ID is spoofable: a matching number lets the agent greet the customer by name, but
what the business protects (by default invoices and contracts — money; tasks are the
business's choice) is left out of the reply provider's context until the caller has said the
last 4 digits of the customer's ID number in this call. The rule is enforced here, on the
data the provider gets, not by asking the model to keep a secret.

settings.caller_verification = {"invoices": bool, "contracts": bool, "tasks": bool}
(missing keys take the defaults: schemas/settings.CallerVerification).
State lives on the call (call.state["verification"]), so a correct answer unlocks that call
only. MAX_ATTEMPTS wrong answers lock it for the call.

WhatsApp: no agent reads records over WhatsApp; an inbound message's sender is the number
WhatsApp itself verified (signed webhook), so it is not subject to this rule.
"""
from __future__ import annotations

import hmac

from server.hebrew import fold_final_letters
from server.schemas.settings import BusinessSettings, as_settings

MAX_ATTEMPTS = 3

# Which of a caller's questions (the offline intents) touch which protected records.
INTENT_KINDS = {"invoice_status": ("invoices",), "task_status": ("tasks",),
                "order_status": ("tasks", "contracts"), "general_status": ("tasks", "contracts")}

# Speech-to-text may write the digits as Hebrew words (final letters folded).
DIGIT_WORDS = {"אפס": "0", "אחת": "1", "אחד": "1", "שתימ": "2", "שתיימ": "2", "שניימ": "2", "שנימ": "2",
               "שלוש": "3", "שלושה": "3", "ארבע": "4", "ארבעה": "4", "חמש": "5", "חמישה": "5", "שש": "6",
               "שישה": "6", "שבע": "7", "שבעה": "7", "שמונה": "8", "תשע": "9", "תשעה": "9"}


def protected_kinds(settings: BusinessSettings | dict | None) -> list[str]:
    return as_settings(settings).caller_verification.protected()


def spoken_digits(text: str | None) -> str:
    """The digits a caller said: "1 2 3 4", "1234", "אחת שתיים שלוש ארבע"."""
    from server.providers.reply.offline import normalise
    out = []
    for word in normalise(fold_final_letters(text or "")):
        if word.isdigit():
            out.append(word)
        else:
            for prefix in ("", "ו"):  # "...שלוש וארבע"
                if word.startswith(prefix) and word[len(prefix):] in DIGIT_WORDS:
                    out.append(DIGIT_WORDS[word[len(prefix):]])
                    break
    return "".join(out)


def check(call, customer, transcript: str | None, settings: BusinessSettings | dict | None) -> dict:
    """This turn's verification: {"withheld": [...], "status": ..., "just_verified": [...]}.

    status: None (nothing withheld) | "ask" | "retry" | "locked" | "unavailable" (the customer
    has no ID digits on file: the agent offers a callback instead).
    Updates call.state (the caller commits with the turn).
    """
    from server.providers.reply.offline import detect_intents

    kinds = protected_kinds(settings)
    if customer is None or not kinds:
        return {"withheld": [], "status": None, "just_verified": []}
    state = dict((call.state or {}).get("verification") or {})
    if state.get("verified"):
        return {"withheld": [], "status": None, "just_verified": []}
    asked = [k for intent in detect_intents(transcript or "") for k in INTENT_KINDS.get(intent, ()) if k in kinds]
    expected = customer.id_last4
    status = "ask"
    just_verified: list[str] = []
    if expected is None:
        status = "unavailable"
    elif state.get("attempts", 0) >= MAX_ATTEMPTS:
        status = "locked"
    elif state.get("asked"):
        digits = spoken_digits(transcript)
        if len(digits) >= 4:
            if hmac.compare_digest(digits[-4:], expected):
                state = {"verified": True}
                just_verified = [k for k in state_asked(call) if k in kinds]
                _save(call, state)
                return {"withheld": [], "status": None, "just_verified": just_verified}
            state["attempts"] = state.get("attempts", 0) + 1
            status = "locked" if state["attempts"] >= MAX_ATTEMPTS else "retry"
    if asked:
        state["asked"] = sorted(set(state.get("asked") or []) | set(asked))
    _save(call, state)
    return {"withheld": kinds, "status": status, "just_verified": []}


def state_asked(call) -> list[str]:
    return list(((call.state or {}).get("verification") or {}).get("asked") or [])


def _save(call, verification: dict) -> None:
    state = dict(call.state or {})
    state["verification"] = verification
    call.state = state  # a new dict: the JSON column is seen as changed
