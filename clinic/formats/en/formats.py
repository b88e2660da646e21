"""The clinic's date and time formats for English (Django reads this module through
FORMAT_MODULE_PATH; a locale's own formats would otherwise win over the settings).

One unambiguous format everywhere a person reads a date: the day, the month's short name and the
year ("21 Nov 2026"), never 11/21 or 21/11; times on the 24-hour clock ("21 Nov 2026, 14:05").
Machine formats (CSV exports, ICS, FHIR, data attributes, links) stay ISO 8601 and never pass
through these.
"""

DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
FIRST_DAY_OF_WEEK = 1  # Monday
# What a typed date may look like: ISO (what date pickers send) and the format shown above, with the
# month's short or full name. No slashed forms: 03/04/2026 means a different day to different people.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d %b %Y", "%d %B %Y"]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%dT%H:%M",  # what datetime-local inputs send
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%d %b %Y, %H:%M",
    "%d %b %Y %H:%M",
    "%d %B %Y, %H:%M",
    "%d %B %Y %H:%M",
]
