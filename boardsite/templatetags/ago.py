"""
`{{ when|ago }}`: "just now" or "5 minutes ago", for the board lists.
Django's `timesince` says "0 minutes" for anything under a minute (and for a
time a little ahead, as when two servers' clocks differ), which read as
"active 0 minutes ago".
"""

from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

register = template.Library()

JUST_NOW = timedelta(minutes=1)


@register.filter
def ago(value):
    if not value:
        return ""
    if timezone.now() - value < JUST_NOW:
        return "just now"
    return f"{timesince(value)} ago"
