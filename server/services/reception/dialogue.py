"""The offline receptionist: books, moves and cancels the caller's appointments and answers
"כמה עולה …" / "כמה זמן לוקח …" from the price list, in Hebrew, over turns.

A turn is `handle(transcript, ctx)` → a ReplyResult, or None when the turn is not about
appointments or prices (the CRM responder answers it then). The conversation's state lives
in `ctx.dialog` (kept between turns by the caller: call.state on the phone, the conversation
row on WhatsApp):

    step        None | "ask_service" | "ask_when" | "choose" | "confirm"
    action      "book" | "move" | "cancel"
    service_id  the service being booked (or the moved appointment's)
    appointment_id  the appointment being moved or cancelled
    choices     the slots offered in the last question (to pick "the second", "at ten")
    pending     the one slot (or appointment) a yes would book, move or cancel
    offered     every slot the desk offered in this conversation (the desk's own rule)

Nothing changes without an explicit yes to a question that named the slot; every slot and
price said comes from the desk (the calendar and the price list), never from the words.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from server.providers.reply import CallerContext, ReplyResult
from server.providers.reply.offline import first_name
from server.services.appointments import catalog
from server.services.appointments.when import TZ, When, parse_when

SEARCH_DAYS = 14          # "לקבוע תור" with no time: the first free slots of the next two weeks
CHOICES = 3               # slots offered in one question
NAMES_LISTED = 6          # services named when asking which one

YES = {"כנ", "בטח", "בסדר", "מתאימ", "מתאימה", "סגור", "סגורה", "אוקיי", "אוקי", "יאללה", "מעולה",
       "אשמח", "בדיוק", "נכונ", "תקבע", "תקבעי", "קבעי", "קבע", "תקבעו", "1", "יופי", "ברור", "שמור", "תשמור",
       "תשמרי", "תבטל", "תבטלי", "בטלי", "תזיז", "תזיזי", "מאשר", "מאשרת", "אישור", "ok", "yes"}
NO = {"לא", "2", "אחר", "אחרת", "מוותר", "מוותרת", "עזוב", "עזבי"}
ORDINALS = {"ראשונ": 0, "ראשונה": 0, "שני": 1, "שניה": 1, "שנייה": 1, "שלישי": 2, "שלישית": 2,
            "אחרונ": -1, "אחרונה": -1}
CANCEL_VERBS = ("לבטל", "תבטל", "תבטלי", "מבטל", "מבטלת")
CANCEL_WORDS = CANCEL_VERBS + ("ביטול",)
# "מה מדיניות הביטולים?", "מה קורה אם אני מבטלת?" ask about the policy (knowledge), not to cancel.
POLICY_QUESTION = ("מה", "אם", "איכ", "מדיניות", "כמה", "עד מתי")
MOVE_WORDS = ("להזיז", "תזיז", "תזיזי", "לדחות", "להקדימ", "לשנות", "להחליפ", "לשנות מועד", "מועד אחר")
MINE_WORDS = ("מתי התור", "התור שלי", "יש לי תור", "מתי אני", "קבוע לי", "קבעתי")
APPOINTMENT_WORDS = ("תור", "תורימ", "פגישה", "טיפול")


@dataclass
class Said:
    """A turn's words, folded like the price list's (catalog.words)."""
    text: str
    words: list[str]

    @classmethod
    def of(cls, text: str) -> "Said":
        return cls(text, catalog.words(text))

    def forms(self) -> list[list[str]]:
        return [catalog._forms(w) for w in self.words]

    def has(self, *phrases: str) -> bool:
        return any(catalog._has_phrase(self.words, phrase) for phrase in phrases)

    def any_word(self, vocabulary: set[str]) -> bool:
        return any(form in vocabulary for forms in self.forms() for form in forms)


def _local(value: str | datetime) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.astimezone(TZ)


def _clock(moment: datetime) -> str:
    return f"{moment.hour}:{moment.minute:02d}"


def day_text(moment: datetime, now: datetime, to: bool = False) -> str:
    """ "היום", "מחר", "ביום חמישי, 10.12" (Israel's week; Shabbat by its name); with `to`,
    where something moves to: "להיום", "למחר", "ליום חמישי, 10.12"."""
    from server.services.appointments.when import WEEKDAY_NAMES, israel_weekday
    day, today = moment.astimezone(TZ).date(), now.astimezone(TZ).date()
    if day == today:
        return "להיום" if to else "היום"
    if day == today + timedelta(days=1):
        return "למחר" if to else "מחר"
    weekday = israel_weekday(day)
    name = "שבת" if weekday == 6 else f"יום {WEEKDAY_NAMES[weekday]}"
    return f"{'ל' if to else 'ב'}{name}, {day.day}.{day.month}"


def slot_text(slot: dict, now: datetime, with_staff: bool = True, to: bool = False) -> str:
    """ "מחר ב-10:30 אצל דנה" — the way the agent says a slot or an appointment."""
    start = _local(slot["start"])
    staff = f" אצל {slot['staff_name']}" if with_staff and slot.get("staff_name") else ""
    return f"{day_text(start, now, to)} ב-{_clock(start)}{staff}"


def _options_text(slots: list[dict], now: datetime) -> str:
    """Several slots in one sentence: one day said once ("מחר ב-10:00, ב-10:30 או ב-11:00")."""
    days = {_local(s["start"]).date() for s in slots}
    if len(days) == 1:
        times = [f"ב-{_clock(_local(s['start']))}" for s in slots]
        return f"{day_text(_local(slots[0]['start']), now)} {_or(times)}"
    return _or([slot_text(s, now, with_staff=False) for s in slots])


def _or(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} או {items[-1]}"


def _distinct_times(slots: list[dict], count: int = CHOICES) -> list[dict]:
    """One slot per start time (the first staff member free then), spread over the window."""
    seen, unique = set(), []
    for slot in slots:
        if slot["start"] not in seen:
            seen.add(slot["start"])
            unique.append(slot)
    if len(unique) <= count:
        return unique
    step = len(unique) / count
    return [unique[int(i * step)] for i in range(count)]


class Turn:
    def __init__(self, transcript: str, ctx: CallerContext):
        self.ctx, self.desk, self.state = ctx, ctx.desk, ctx.dialog
        self.said = Said.of(transcript)
        self.now = self.desk.now
        self.intents: list[str] = []
        self.parts: list[str] = []
        self.actions: list[dict] = []

    # ---- what was said ----------------------------------------------------------------
    def yes(self) -> bool:
        return self.said.any_word(YES) and not self.no()

    def no(self) -> bool:
        return self.said.any_word(NO) and not self.said.has("לא משנה")

    def _service_match(self, services: list[dict]) -> catalog.CatalogMatch | None:
        return catalog.match_service([(s["id"], s["name"], s["duration_minutes"], s["price_agorot"]) for s in services],
                                     self.said.text)

    def _staff_named(self) -> int | None:
        for member in self.desk.staff():
            name_words = catalog.words(member["name"])
            if name_words and any(name_words[0] in forms for forms in self.said.forms()):
                return member["id"]
        return None

    def _when(self) -> When | None:
        return parse_when(self.said.text, self.now)

    # ---- the turn ----------------------------------------------------------------------
    def run(self) -> ReplyResult | None:
        step = self.state.get("step")
        handled = False
        if step == "offer_callback":
            handled = self._on_callback_offer()
        elif step == "confirm":
            handled = self._on_confirm()
        elif step == "choose":
            handled = self._on_choose()
        elif step in ("ask_service", "ask_when"):
            handled = self._on_ask(step)
        if not handled:
            handled = self._fresh()
        if not handled:
            return None
        return ReplyResult(text=" ".join(p for p in self.parts if p), provider="offline",
                           intents=self.intents, actions=self.actions, tool_calls=list(self.desk.done))

    def _on_callback_offer(self) -> bool:
        """The agent offered a callback (no free slot, or a question it could not answer)."""
        if self.yes():
            self.state.pop("step", None)
            self.intents.append("callback")
            if self.ctx.can_take_callback:
                note = self.state.pop("callback_note", None) or self.said.text
                self.actions.append({"type": "callback", "note": note})
                self.say("רשמתי בקשה שנציג יחזור אלייך בהקדם.")
            else:
                self.say("אני לא יכול לרשום בקשת חזרה בשיחה הזאת. אפשר לנסות שוב מאוחר יותר.")
            return True
        self.state.pop("step", None)
        self.state.pop("callback_note", None)
        if self.no():
            self.say("בסדר. אפשר לעזור במשהו אחר?")
            return True
        return False

    def say(self, text: str) -> None:
        self.parts.append(text)

    def reset(self) -> None:
        for key in ("step", "action", "service_id", "appointment_id", "choices", "pending", "staff_id"):
            self.state.pop(key, None)

    def _fresh(self) -> bool:
        """A new request: cancel or move my appointment, when is it, prices, a booking."""
        said = self.said
        about_appointment = said.has(*APPOINTMENT_WORDS)
        policy_question = said.has(*POLICY_QUESTION)
        if said.has(*CANCEL_WORDS) and not policy_question and (
                about_appointment or (said.has(*CANCEL_VERBS) and self.desk.next_appointment())):
            return self._start_cancel()
        if said.has(*MOVE_WORDS) and not policy_question and (about_appointment or said.has("מועד")):
            return self._start_move()
        if said.has(*MINE_WORDS) and not said.has("לקבוע"):
            return self._tell_mine()
        services = self.desk.services()
        if not services:
            return False
        match = self._service_match(services)
        asks = catalog.asks_about(said.text)
        answered = False
        if match is not None and asks & {"price", "duration"}:
            self.intents.append("price")
            self.say(catalog.answer(match) + ".")
            answered = True
            if match.ambiguous:
                self.state.update(step="ask_service", action="book" if "book" in asks else "price")
                return True
        elif asks & {"price", "duration"} and "book" not in asks:
            self.intents.append("price")
            names = [catalog.display_name(s["name"]) for s in services[:NAMES_LISTED]]
            self.say(f"על איזה טיפול? יש לנו {_and(names)}.")
            self.state.update(step="ask_service", action="price")
            return True
        # A service with a time ("תספורת מחר בעשר") asks for a booking without saying so.
        if "book" not in asks and not (match is not None and not asks & {"price", "duration"}
                                       and self._when() is not None):
            return answered
        self.intents.append("booking")
        self.reset()
        self.state["action"] = "book"
        staff_id = self._staff_named()
        if staff_id:
            self.state["staff_id"] = staff_id
        if match is None or match.ambiguous:
            if len(services) == 1:
                self.state["service_id"] = services[0]["id"]
            else:
                if match is not None and not answered:
                    self.say(catalog.answer(match))
                elif match is None:
                    names = [catalog.display_name(s["name"]) for s in services[:NAMES_LISTED]]
                    self.say(f"בשמחה. לאיזה טיפול? יש לנו {_and(names)}.")
                self.state["step"] = "ask_service"
                self._keep_when()
                return True
        else:
            self.state["service_id"] = match.services[0].id
        return self._search(self._when() or self._kept_when())

    def _keep_when(self) -> None:
        """The time said with an unclear service ("תור מחר בעשר") waits for the service."""
        if self._when() is not None:
            self.state["when_text"] = self.said.text

    def _kept_when(self) -> When | None:
        text = self.state.pop("when_text", None)
        return parse_when(text, self.now) if text else None

    def _on_ask(self, step: str) -> bool:
        if step == "ask_service":
            services = self.desk.services()
            match = self._service_match(services) if services else None
            if match is None:
                return False
            if match.ambiguous:
                self.say(catalog.answer(match))
                return True
            if self.state.get("action") == "price":
                self.intents.append("price")
                self.say(catalog.answer(catalog.CatalogMatch(match.services, frozenset({"price", "duration"}))) + ".")
                self.reset()
                if "book" not in catalog.asks_about(self.said.text):
                    return True
                self.state["action"] = "book"
            self.intents.append("booking")
            self.state["service_id"] = match.services[0].id
            return self._search(self._when() or self._kept_when())
        when = self._when()
        if when is None:
            if self.no():
                self.reset()
                self.say("בסדר. אפשר לעזור במשהו אחר?")
                return True
            return False
        self.intents.append("booking")
        return self._search(when)

    # ---- finding slots -------------------------------------------------------------------
    def _search(self, when: When | None) -> bool:
        service_id = self.state["service_id"]
        staff_id = self.state.get("staff_id")
        exclude = self.state.get("appointment_id") if self.state.get("action") == "move" else None
        find = lambda start, end, limit=50: self.desk.find_slots(  # noqa: E731 - one call, three windows
            service_id, start, end, staff_id=staff_id, limit=limit, exclude_appointment_id=exclude)
        if when is None:
            if self.state.get("step") == "ask_when":
                return False
            first = find(self.now, self.now + timedelta(days=SEARCH_DAYS), limit=1)
            hint = f" הכי מוקדם שיש: {slot_text(first[0], self.now)}." if first else ""
            self.say(f"מתי נוח לך?{hint}")
            self.state["step"] = "ask_when"
            if first:
                self.desk.offer(first)
                self.state["choices"] = first
            return True
        if when.passed:
            self.say("השעה הזאת כבר עברה.")
        single_instant = when.exact and when.start == when.end
        if single_instant:
            exact = find(when.start, when.start + timedelta(minutes=1), limit=5)
            if exact:
                return self._ask_confirm(exact[0])
            same_day = find(when.start.replace(hour=0, minute=0), when.start.replace(hour=23, minute=59))
            near = sorted(same_day, key=lambda s: abs((_local(s["start"]) - when.start).total_seconds()))
            options = sorted(_distinct_times(near[:12], 12)[:CHOICES], key=lambda s: s["start"])
            if options:
                self.say(f"ב-{_clock(when.start)} כבר תפוס.")
                return self._offer(options)
            later = find(when.start, when.start + timedelta(days=SEARCH_DAYS), limit=30)
            self.say(f"{day_text(when.start, self.now)} אין מקום פנוי.")
            return self._offer(_distinct_times(later)) if later else self._none_free()
        slots = find(when.start, when.end + timedelta(minutes=1) if when.exact else when.end, limit=200)
        if when.day_hours:
            low, high = when.day_hours
            slots = [s for s in slots if low <= _local(s["start"]).time() <= high]
        if when.earliest and slots:
            return self._ask_confirm(slots[0])
        if slots:
            return self._offer(_distinct_times(slots))
        later = find(when.end, when.end + timedelta(days=SEARCH_DAYS), limit=30)
        self.say(f"אין מקום פנוי {when.understood}.")
        if later:
            self.say("הכי קרוב:")
            return self._offer(_distinct_times(later))
        return self._none_free()

    def _none_free(self) -> bool:
        self.say("אין מקום פנוי בשבועיים הקרובים. רוצה שנחזור אלייך כשיתפנה מקום?")
        note = f"ביקש תור ל{self._service_name()}, אין מקום פנוי"
        self.reset()
        self.state.update(step="offer_callback", callback_note=note)
        return True

    def _offer(self, options: list[dict]) -> bool:
        if len(options) == 1:
            return self._ask_confirm(options[0])
        self.desk.offer(options)
        self.state.update(step="choose", choices=options)
        self.say(f"יש מקום {_options_text(options, self.now)}. מה מתאים לך?")
        return True

    def _service_name(self) -> str:
        sid = self.state.get("service_id")
        for service in self.desk.services():
            if service["id"] == sid:
                return catalog.display_name(service["name"])
        return "התור"

    def _ask_confirm(self, slot: dict) -> bool:
        self.desk.offer([slot])
        self.state.update(step="confirm", pending=slot)
        if self.state.get("action") == "move":
            self.say(f"להזיז את התור {slot_text(slot, self.now, to=True)}?")
        else:
            self.say(f"לקבוע לך {self._service_name()} {slot_text(slot, self.now)}?")
        return True

    # ---- answers to the agent's own questions ---------------------------------------------
    def _on_choose(self) -> bool:
        choices = self.state.get("choices") or []
        picked = None
        for forms in self.said.forms():
            for form in forms:
                if form in ORDINALS and choices:
                    index = ORDINALS[form]
                    if -len(choices) <= index < len(choices):
                        picked = choices[index]
        when = self._when()
        if picked is None and when is not None and when.exact:
            for slot in choices:
                start = _local(slot["start"])
                if (start.hour, start.minute) == (when.start.hour, when.start.minute):
                    picked = slot
                    break
        if picked is None and len(choices) == 1 and self.yes():
            picked = choices[0]
        if picked is not None:
            self.intents.append("booking")
            return self._ask_confirm(picked)
        if when is not None:
            self.intents.append("booking")
            return self._search(when)
        if self.no():
            self.state.update(step="ask_when", choices=[])
            self.intents.append("booking")
            self.say("מתי יותר נוח לך?")
            return True
        if self.yes() and choices:
            # "כן" to several times: which one? (never a guess)
            self.intents.append("booking")
            self.say(f"איזו שעה מתאימה לך: {_options_text(choices, self.now)}?")
            return True
        return False

    def _on_confirm(self) -> bool:
        pending = self.state.get("pending") or {}
        action = self.state.get("action")
        if self.yes():
            return self._carry_out(action, pending)
        if self.no():
            self.intents.append("booking")
            if action == "cancel":
                self.reset()
                self.say("בסדר, התור נשאר במקומו.")
                return True
            self.state.update(step="ask_when", pending=None)
            self.say("בסדר, לא קבעתי. מתי יותר נוח לך?" if action == "book" else "בסדר. לאיזה מועד להזיז?")
            return True
        when = self._when()
        if when is not None and action in ("book", "move"):
            self.intents.append("booking")
            return self._search(when)
        return False

    def _carry_out(self, action: str | None, pending: dict) -> bool:
        if action == "cancel":
            self.intents.append("cancel_appointment")
            result = self.desk.cancel(pending.get("id"), confirmed=True)
            self.reset()
            if result.get("ok"):
                self.say(f"ביטלתי את התור שלך ל{pending.get('service') or 'טיפול'} {slot_text(pending, self.now)}.")
            else:
                self.say("לא הצלחתי לבטל את התור. אפשר לבקש שנציג יחזור אלייך.")
            return True
        start = pending.get("start")
        if action == "move":
            self.intents.append("move_appointment")
            result = self.desk.move(self.state.get("appointment_id"), start, pending.get("staff_id"), confirmed=True)
        else:
            self.intents.append("booking")
            result = self.desk.book(self.state.get("service_id"), start, pending.get("staff_id"), confirmed=True)
        if result.get("ok"):
            done = result["appointment"]
            self.reset()
            if action == "move":
                self.say(f"הזזתי את התור שלך {slot_text(done, self.now, to=True)}. נתראה!")
            else:
                self.say(f"קבעתי לך {catalog.display_name(done['service'])} {slot_text(done, self.now)}. נתראה!")
            return True
        if result.get("next_slots"):
            self.say("אוי, המקום הזה נתפס הרגע.")
            return self._offer(_distinct_times(result["next_slots"]))
        self.reset()
        self.say("לא הצלחתי לקבוע את התור. אפשר לבקש שנציג יחזור אלייך.")
        return True

    # ---- the caller's own appointment -----------------------------------------------------
    def _mine(self) -> dict | None:
        if self.ctx.customer_name is None and not self.ctx.known_customer:
            return None
        return self.desk.next_appointment()

    def _start_cancel(self) -> bool:
        self.intents.append("cancel_appointment")
        mine = self._mine()
        self.reset()
        if mine is None:
            self.say("לא מצאתי תור קרוב על שמך.")
            return True
        self.state.update(step="confirm", action="cancel", pending=mine, appointment_id=mine["id"])
        self.say(f"לבטל את התור שלך ל{mine['service']} {slot_text(mine, self.now)}?")
        return True

    def _start_move(self) -> bool:
        self.intents.append("move_appointment")
        mine = self._mine()
        self.reset()
        if mine is None:
            self.say("לא מצאתי תור קרוב על שמך. רוצה לקבוע תור חדש?")
            return True
        self.state.update(action="move", appointment_id=mine["id"], service_id=mine["service_id"])
        when = self._when()
        if when is None:
            self.state["step"] = "ask_when"
            self.say(f"התור שלך ל{mine['service']} {slot_text(mine, self.now)}. לאיזה מועד להזיז?")
            return True
        return self._search(when)

    def _tell_mine(self) -> bool:
        self.intents.append("my_appointment")
        mine = self._mine()
        if mine is None:
            self.say("לא מצאתי תור קרוב על שמך. רוצה לקבוע?")
        else:
            self.say(f"התור הבא שלך: {mine['service']} {slot_text(mine, self.now)}.")
        return True


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} ו{items[-1]}"


def greeting(ctx: CallerContext) -> str | None:
    """The first turn's hello, as the CRM responder says it."""
    if not ctx.first_turn:
        return None
    name = first_name(ctx.customer_name) if ctx.known_customer else None
    return f"שלום {name}!" if name else "שלום!"


def handle(transcript: str, ctx: CallerContext) -> ReplyResult | None:
    """The turn's answer when it is about appointments or prices; None otherwise."""
    if ctx.desk is None or not (transcript or "").strip():
        return None
    result = Turn(transcript, ctx).run()
    if result is not None:
        hello = greeting(ctx)
        if hello:
            result.text = f"{hello} {result.text}"
    return result
