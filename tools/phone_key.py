"""The caller-lookup key of a phone number.

A number is stored and sent in many shapes: ``+91 98765 43210``, ``098765-43210``,
``(+91) 98765.43210``, ``0091 9876543210``, ``9876543210``. Its key is its trailing
significant digits (10 by default, the length of an Indian national number): the
prefixes (``+91``, ``0091``, a trunk ``0``) fall off, so every shape of one number
has one key, and lookups are an equality on an indexed column.

The number of digits is a setting. Changing it changes every stored key: a job
(``ameyo.phone.key.rewrite``) computes the new keys in batches while lookups keep the
count in force (:func:`key_digits`), then puts the new count in force with the keys in
one step. :func:`pending_key_digits` is the count the job is working towards.
"""

import re

DEFAULT_KEY_DIGITS = 10
MIN_KEY_DIGITS = 4
# The bounds of the setting: a key is never longer than MAX_KEY_DIGITS
# (report/ameyo_shared_number.py relies on it).
MIN_SETTING_DIGITS = 6
MAX_KEY_DIGITS = 15
# The count in force for lookups, and the one Settings asked for while the job rewrites the keys.
DIGITS_PARAM = 'crm_ameyo.phone_key_digits'
PENDING_DIGITS_PARAM = 'crm_ameyo.phone_key_digits_pending'
_DIGIT_RE = re.compile(r'\d')
_NON_DIGITS_RE = re.compile(r'\D+')
_MASK_RE = re.compile(r'[Xx*]')


def phone_key(number, digits=DEFAULT_KEY_DIGITS):
    """Return the lookup key of ``number`` (a string of ASCII digits), or False when it has too few
    digits or is masked (Ameyo's maskingEnabled sends 98XXXXXX10: its digits name no one)."""
    if not number or _MASK_RE.search(number):
        return False
    all_digits = _NON_DIGITS_RE.sub('', number)
    if not all_digits.isascii():
        # digits of another script (Arabic-Indic, Devanagari...) are the same number: one key for
        # both
        all_digits = ''.join(str(int(char)) for char in _DIGIT_RE.findall(all_digits))
    if len(all_digits) >= digits:
        return all_digits[-digits:]
    # shorter than a national number (an extension, a short code): drop trunk zeros only
    short = all_digits.lstrip('0')
    return short if len(short) >= MIN_KEY_DIGITS else False


def bounded_digits(value):
    """A number of digits as the setting takes it: an integer between the bounds, the default when
    unset or not a number."""
    try:
        digits = int(value) if value else DEFAULT_KEY_DIGITS
    except ValueError:
        digits = DEFAULT_KEY_DIGITS
    return min(max(digits, MIN_SETTING_DIGITS), MAX_KEY_DIGITS)


def key_digits(env):
    """The number of significant digits in force for lookups: the stored keys have it (while the job
    rewrites them for another count, this one stays in force until the job has finished)."""
    return bounded_digits(env['ir.config_parameter'].sudo().get_param(DIGITS_PARAM))


def pending_key_digits(env):
    """The number of digits Settings asked for that the job has not put in force yet, or None."""
    value = env['ir.config_parameter'].sudo().get_param(PENDING_DIGITS_PARAM)
    return bounded_digits(value) if value else None
