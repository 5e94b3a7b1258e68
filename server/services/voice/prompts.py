"""Every sentence the phone agent says on its own (not a reply provider's answer), in one place.

The seed's sentences are a contract (tests assert them verbatim); the rest came with the
conversation (issue 8) and the streamed calls (issue 12).
"""
from __future__ import annotations

# The seed (section 2): the record path's last resorts.
REPLY_FALLBACK = "קיבלתי את הבקשה. לבצע כעת?"
SAY_LAST_RESORT = "אוקיי. רשמתי לפני. איך עוד לעזור?"
SAY_NOT_UNDERSTOOD = "לא הצלחתי להבין את ההקלטה. איך לעזור?"
SAY_NO_RECORDING = "סליחה, לא קיבלתי הקלטה. איך אפשר לעזור?"
SAY_DOWNLOAD_FAILED = "תקלה זמנית בהורדת ההקלטה. כיצד לעזור?"

# The conversation (issue 8).
SAY_HOLD = "רגע אחד, אני בודק."
SAY_DELAYED = "סליחה, התשובה מתעכבת. אפשר לשאול שוב אחרי הצפצוף."
SAY_GOODBYE = "תודה שהתקשרת, יום טוב!"
SAY_TURN_LIMIT = "הגענו לסוף השיחה. תודה שהתקשרת, יום טוב!"
SAY_TRANSFER = "מעביר אותך לנציג, רק רגע."
SAY_NO_PERSON = "אין כרגע נציג זמין. רשמתי בקשה שנחזור אליך בהקדם."
SAY_LEAVE_MESSAGE = "הנציג לא זמין כרגע. השאירו הודעה אחרי הצפצוף ונחזור אליכם."
SAY_MESSAGE_TAKEN = "תודה, ההודעה נשמרה ונחזור אליכם בהקדם. להתראות!"
RECORDING_NOTICE = "לידיעתך, השיחה מוקלטת לצורך שיפור השירות."
WELCOME_TEXT = "שלום, הגעתם למענה הקולי. אחרי הצפצוף ספרו לנו במה אפשר לעזור, ובסיום הקישו כוכבית."

# A streamed call (issue 12): it greets in speech (no welcome recording), and a turn it did
# not hear is asked again at once rather than after a beep.
DEFAULT_GREETING = "שלום, כאן המענה הקולי. במה אפשר לעזור?"
SAY_NOT_HEARD = "סליחה, לא הבנתי. אפשר לחזור על זה?"
