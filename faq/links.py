"""Link tags: the names with which a page asks for its FAQ entries (``{% faq_links "aftercare" %}``).

Which entries carry a tag is set by clinic admins in the Django admin (an entry's "link tags" field); the
import only gives the clinic's initial entries their first tags. Pages name a tag, never an entry id.
"""

# The aftercare sheet handed out after a treatment: what to expect (side effects) and when to resume
# physical activity.
AFTERCARE = "aftercare"
# The day 1-3 check-in call: the same side-effect and activity entries, for answering on the phone.
CHECK_IN = "check-in"
# The 3-month (100-day) assessment: the timeline of effects, when benefits show, and repeat rounds.
THREE_MONTH = "three-month"

KNOWN_TAGS = {
    AFTERCARE: "aftercare sheet: side effects and activity",
    CHECK_IN: "day 1-3 check-in: side effects and activity",
    THREE_MONTH: "3-month assessment: timeline and repeat rounds",
}
