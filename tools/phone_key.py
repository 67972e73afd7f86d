"""The caller-lookup key of a phone number.

A number is stored and sent in many shapes: ``+91 98765 43210``, ``098765-43210``,
``(+91) 98765.43210``, ``0091 9876543210``, ``9876543210``. Its key is its trailing
significant digits (10 by default, the length of an Indian national number): the
prefixes (``+91``, ``0091``, a trunk ``0``) fall off, so every shape of one number
has one key, and lookups are an equality on an indexed column.
"""

import re

DEFAULT_KEY_DIGITS = 10
MIN_KEY_DIGITS = 4
# A key is never longer than this (report/ameyo_shared_number.py relies on it).
MAX_KEY_DIGITS = 15
_DIGIT_RE = re.compile(r'\d')
_NON_DIGITS_RE = re.compile(r'\D+')
_MASK_RE = re.compile(r'[Xx*]')


def phone_key(number, digits=DEFAULT_KEY_DIGITS):
    """Return the lookup key of ``number`` (a string of ASCII digits), or False when it has too few digits
    or is masked (Ameyo's maskingEnabled sends 98XXXXXX10: its digits name no one)."""
    if not number or _MASK_RE.search(number):
        return False
    all_digits = _NON_DIGITS_RE.sub('', number)
    if not all_digits.isascii():
        # digits of another script (Arabic-Indic, Devanagari...) are the same number: one key for both
        all_digits = ''.join(str(int(char)) for char in _DIGIT_RE.findall(all_digits))
    if len(all_digits) >= digits:
        return all_digits[-digits:]
    # shorter than a national number (an extension, a short code): drop trunk zeros only
    short = all_digits.lstrip('0')
    return short if len(short) >= MIN_KEY_DIGITS else False


def key_digits(env):
    """The number of significant digits configured in Settings (bounded to something sensible)."""
    value = env['ir.config_parameter'].sudo().get_param('crm_ameyo.phone_key_digits')
    try:
        digits = int(value) if value else DEFAULT_KEY_DIGITS
    except ValueError:
        digits = DEFAULT_KEY_DIGITS
    return min(max(digits, 6), MAX_KEY_DIGITS)
