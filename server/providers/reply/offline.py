"""The offline Hebrew responder: intent rules over normalised Hebrew, answers from CRM data.

Speech-to-text output is noisy, so matching is forgiving: niqqud removed, final letters
folded (ם→מ), one-letter prefixes ו/ה/ש/ל/ב (and their pairs, e.g. וה, של) stripped, and
longer keywords may match with a small spelling difference. When nothing matches, the
responder says so honestly and offers what it can do.
"""
from __future__ import annotations

import difflib
import re

from server.hebrew import fold_final_letters, strip_niqqud
from server.providers.reply import CallerContext, ReplyResult

PREFIX_LETTERS = set("והשלב")

# intent → keyword stems (already folded: no final letters). A stem matches a word that
# starts with it, after prefixes are stripped.
INTENT_STEMS: dict[str, tuple[str, ...]] = {
    "order_status": ("הזמנ", "הזמנתי", "משלוח", "חביל", "מוצר"),
    "invoice_status": ("חשבוני", "קבל", "תשלומ", "שילמתי", "חיוב", "לשלמ"),
    "task_status": ("משימ", "פניי", "טיפול", "תיקונ", "תקל"),
    "callback": ("תחזר", "יחזר", "לחזור", "חזור", "תתקשר", "יתקשר", "התקשר", "חזרה"),
    "hours": ("שעות", "פתוח", "פתיח", "סגור", "פועלימ"),
    "human": ("נציג", "בנאדמ", "אדמ", "מנהל", "אנושי"),
    "goodbye": ("ביי", "להתראות", "התראות", "יומ טוב", "זהו"),
    "greeting": ("שלומ", "היי", "הלו", "בוקר טוב", "ערב טוב"),
}
STATUS_STEMS = ("סטטוס", "מצב", "עדכונ", "איפה", "מתי")

_WORD = re.compile(r"[\u05D0-\u05EAa-z0-9]+")


def normalise(text: str) -> list[str]:
    """Words without niqqud, punctuation or final letters."""
    return _WORD.findall(fold_final_letters(strip_niqqud(text or "").casefold()).replace("\u05BE", " "))


def word_forms(word: str) -> set[str]:
    """The word and the word without up to two prefix letters (ולהזמנה → להזמנה, הזמנה)."""
    forms = {word}
    for i in (1, 2):
        if len(word) - i >= 2 and all(ch in PREFIX_LETTERS for ch in word[:i]):
            forms.add(word[i:])
    return forms


def _stem_matches(stem: str, forms: set[str]) -> bool:
    for form in forms:
        if form.startswith(stem):
            return True
        # A transcription slip in a long word (חשבונית → חשבונת) still counts.
        if (len(stem) >= 5 and len(form) >= len(stem) and form[0] == stem[0]
                and difflib.SequenceMatcher(None, form[:len(stem)], stem).ratio() >= 0.8):
            return True
    return False


def detect_intents(text: str) -> list[str]:
    words = normalise(text)
    joined = " ".join(words)
    found: list[str] = []
    forms = [word_forms(w) for w in words]
    for intent, stems in INTENT_STEMS.items():
        for stem in stems:
            hit = (stem in joined) if " " in stem else any(_stem_matches(stem, f) for f in forms)
            if hit:
                found.append(intent)
                break
    if "hours" in found and any(i in found for i in ("order_status", "invoice_status", "task_status")):
        # "מתי ההזמנה תגיע" asks about the order, not the opening hours.
        if not any(_stem_matches(s, f) for s in ("שעות", "פתוח", "פתיח") for f in forms):
            found.remove("hours")
    if not any(i in found for i in ("order_status", "invoice_status", "task_status")):
        if any(_stem_matches(s, f) for s in STATUS_STEMS[:3] for f in forms):
            found.append("general_status")
    return found


def first_name(name: str | None) -> str | None:
    if not name or name.startswith("ליד חדש"):
        return None
    return name.split()[0]


KIND_WORDS = {"invoices": "חשבוניות", "contracts": "הסכמים", "tasks": "הזמנות ופניות"}
KIND_INTENTS = {"invoices": "invoice_status", "tasks": "task_status", "contracts": "order_status"}


def verification_prompt(status: str | None, kinds: list[str]) -> str:
    """What the agent says while records are withheld (caller_verification)."""
    what = " ו".join(KIND_WORDS[k] for k in kinds if k in KIND_WORDS) or "החשבון"
    if status == "retry":
        return "המספר לא תואם למה שרשום אצלנו. אפשר לנסות שוב את ארבע הספרות האחרונות של תעודת הזהות?"
    if status == "locked":
        return "לא הצלחתי לאמת את הזהות, ולכן לא אוכל למסור פרטים בטלפון. אפשר לבקש שנציג יחזור אלייך."
    if status == "unavailable":
        return f"מטעמי אבטחה אני לא יכול למסור פרטים על {what} בטלפון. אפשר לבקש שנציג יחזור אלייך."
    return f"כדי למסור פרטים על {what}, אפשר בבקשה את ארבע הספרות האחרונות של תעודת הזהות?"


def _join(parts: list[str]) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())


class OfflineResponder:
    name = "offline"

    @classmethod
    def config_groups(cls, config) -> tuple:
        return ()  # rules only: nothing configurable

    def reply(self, transcript: str, ctx: CallerContext) -> ReplyResult:
        intents = detect_intents(transcript)
        actions: list[dict] = []
        parts: list[str] = []
        if ctx.first_turn:
            name = first_name(ctx.customer_name) if ctx.known_customer else None
            parts.append(f"שלום {name}!" if name else "שלום!")
        answered = False
        if ctx.just_verified:
            # The digits were right: answer the question that was waiting for them.
            parts.append("תודה, זיהיתי אותך.")
            intents = intents + [KIND_INTENTS[k] for k in ctx.just_verified if KIND_INTENTS[k] not in intents]
            answered = True
        if "order_status" in intents or "general_status" in intents:
            parts.append(self._orders(ctx)); answered = True
        if "invoice_status" in intents:
            parts.append(self._invoices(ctx)); answered = True
        if "task_status" in intents:
            parts.append(self._tasks(ctx)); answered = True
        if "hours" in intents:
            parts.append(self._hours(ctx)); answered = True
        if "callback" in intents or "human" in intents:
            if ctx.can_take_callback:
                actions.append({"type": "callback", "note": transcript})
                parts.append("רשמתי בקשה שנציג יחזור אלייך בהקדם.")
            else:
                parts.append("אני לא יכול לרשום בקשת חזרה בשיחה הזאת. אפשר לנסות שוב מאוחר יותר.")
            answered = True
        if not answered and ctx.withheld and ctx.verification in ("retry", "locked"):
            parts.append(verification_prompt(ctx.verification, ctx.withheld)); answered = True
        if not answered and "goodbye" in intents:
            parts.append("תודה שכתבת, יום טוב!" if ctx.channel == "whatsapp" else "תודה שהתקשרת, יום טוב!")
            answered = True
        if not answered and intents == ["greeting"]:
            parts.append("במה אפשר לעזור? אפשר לקבוע תור, לשאול על מחירים או על שעות הפעילות." if ctx.desk
                         else "במה אפשר לעזור? אפשר לשאול על הזמנה, חשבונית או שעות הפעילות.")
            answered = True
        if not answered:
            parts.append("סליחה, את זה אני לא יודע. אפשר לשאול על הזמנה, חשבונית, שעות הפעילות, "
                         "או לבקש שנחזור אלייך.")
            intents = intents + ["unknown"]
        return ReplyResult(text=_join(parts), provider=self.name, intents=intents, actions=actions)

    @staticmethod
    def _unknown_caller(ctx: CallerContext) -> str | None:
        if not ctx.known_customer:
            return "לא מצאתי את המספר שלך אצלנו, אז אין לי פרטים על הזמנות. אפשר לבקש שנחזור אלייך."
        return None

    @staticmethod
    def _withheld(ctx: CallerContext, kind: str) -> str | None:
        return verification_prompt(ctx.verification, [kind]) if kind in ctx.withheld else None

    def _orders(self, ctx: CallerContext) -> str:
        unknown = self._unknown_caller(ctx) or self._withheld(ctx, "tasks")
        if unknown:
            return unknown
        open_tasks = [t for t in ctx.tasks if t["status"] == "open"]
        if open_tasks:
            t = open_tasks[0]
            due = f", מתוכנן ל{t['due']}" if t.get("due") else ""
            return f"ההזמנה שלך, {t['title']}, בטיפול{due}."
        if not open_tasks and "contracts" in ctx.withheld:
            return verification_prompt(ctx.verification, ["contracts"])
        active = [c for c in ctx.contracts if c["status"] in ("sent", "signed")]
        if active:
            c = active[0]
            status = "נחתם" if c["status"] == "signed" else "נשלח וממתין לחתימה"
            return f"ההסכם {c['title']} {status}."
        if ctx.tasks:
            return f"ההזמנה האחרונה שלך, {ctx.tasks[0]['title']}, הושלמה."
        return "לא מצאתי הזמנה פתוחה על שמך."

    def _invoices(self, ctx: CallerContext) -> str:
        unknown = self._unknown_caller(ctx) or self._withheld(ctx, "invoices")
        if unknown:
            return unknown
        issued = [i for i in ctx.invoices if i["status"] in ("issued", "paid")]
        if not issued:
            return "לא מצאתי חשבוניות על שמך."
        inv = issued[0]
        head = f"חשבונית מספר {inv['number']} על סך {inv['total']}"
        if inv["status"] == "paid":
            return f"{head} שולמה. תודה!"
        due = f" עד {inv['due']}" if inv.get("due") else ""
        return f"{head} ממתינה לתשלום{due}."

    def _tasks(self, ctx: CallerContext) -> str:
        unknown = self._unknown_caller(ctx) or self._withheld(ctx, "tasks")
        if unknown:
            return unknown
        open_tasks = [t for t in ctx.tasks if t["status"] == "open"]
        if not open_tasks:
            return "אין כרגע פניות פתוחות על שמך."
        names = ", ".join(t["title"] for t in open_tasks[:2])
        return f"יש {len(open_tasks)} פניות פתוחות: {names}." if len(open_tasks) > 1 else f"הפנייה שלך, {names}, בטיפול."

    def _hours(self, ctx: CallerContext) -> str:
        if not ctx.hours:
            return "אין לי כרגע את שעות הפעילות. אפשר לבקש שנחזור אלייך."
        now = ""
        if ctx.open_now is True:
            now = " כרגע אנחנו פתוחים."
        elif ctx.open_now is False:
            now = " כרגע אנחנו סגורים."
        return f"שעות הפעילות שלנו: {ctx.hours}.{now}"
