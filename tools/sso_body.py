"""The body of an SSO call from Ameyo, read and validated (plain Python, beside the lifecycle
parser).

Every request form seen in the wild is accepted: a raw XML body ``<request><command/>...</request>``
(also when declared as form data, as Java clients post it), a form field ``requestXml`` with that
XML, a JSON body, a form field ``request`` holding JSON or XML. Names are case-insensitive.
Nothing malformed or hostile (DTDs, entities, deep nesting, control characters, wrong types)
gets past it.
"""

import json

from lxml import etree

MAX_BODY_BYTES = 16 * 1024
_XML_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)
FIELDS = {
    'command': 'command',
    'userid': 'userId',
    'password': 'password',
    'crmsessionid': 'crmSessionId',
}


class SsoRequestError(ValueError):
    """The body is not a request Odoo understands; the message says why (safe to show to Ameyo).

    ``fmt`` is the format the answer must use when the request's format is known ('xml' or
    'json')."""

    def __init__(self, message, fmt=None):
        super().__init__(message)
        self.fmt = fmt


def parse_sso_request(content_type, body, form):
    """Return ``(format, {command, userId, password, crmSessionId})`` from any accepted request
    form."""
    # form fields are parsed before the controller runs: their size counts as the body's
    if len(body) > MAX_BODY_BYTES or sum(len(value) for value in form.values()) > MAX_BODY_BYTES:
        raise SsoRequestError('Request too large')
    fields_by_name = {str(name).lower(): value for name, value in form.items()}
    if fields_by_name.get('requestxml'):
        return 'xml', _parse_xml(fields_by_name['requestxml'].strip().lstrip('\ufeff'))
    if fields_by_name.get('request'):
        raw = fields_by_name['request'].strip().lstrip('\ufeff')
        return ('xml', _parse_xml(raw)) if raw.startswith('<') else ('json', _parse_json(raw))
    # a raw body, whatever its declared type (Java clients post raw XML as x-www-form-urlencoded)
    text = body.decode('utf-8', errors='strict') if body else ''
    stripped = text.strip().lstrip('\ufeff').strip()
    if 'json' in content_type or stripped.startswith('{'):
        return 'json', _parse_json(stripped)
    if stripped.startswith('<'):
        return 'xml', _parse_xml(stripped)
    raise SsoRequestError('Invalid request format')


def _normalize(pairs):
    values = {}
    for key, value in pairs:
        name = FIELDS.get(str(key).strip().lower())
        if name is None:
            continue
        if value is not None and not isinstance(value, str):
            if isinstance(value, int | float) and not isinstance(value, bool) and name != 'command':
                value = str(value)
            else:
                raise SsoRequestError(f'Invalid value for {name}', 'json')
        value = (value or '').strip()
        # NUL and other controls: never a user id or password
        if any(ord(char) < 32 for char in value):
            raise SsoRequestError(f'Invalid value for {name}')
        values[name] = value
    return values


def _parse_json(text):
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:  # deep nesting exhausts the decoder's recursion
        raise SsoRequestError('Invalid JSON format', 'json') from error
    if isinstance(data, dict) and isinstance(data.get('request'), dict):
        data = data['request']
    if not isinstance(data, dict):
        raise SsoRequestError('Invalid JSON format', 'json')
    return _normalize(data.items())


def _parse_xml(text):
    # the whole text (at most MAX_BODY_BYTES): a DTD may follow a long comment
    lowered = text.lower()
    # no DTD, no entity: billion laughs and external entities never reach the parser
    if '<!doctype' in lowered or '<!entity' in lowered:
        raise SsoRequestError('Invalid XML format')
    try:
        root_element = etree.fromstring(text.encode('utf-8'), parser=_XML_PARSER)
    except (etree.XMLSyntaxError, ValueError, RecursionError) as error:
        raise SsoRequestError('Invalid XML format') from error
    if any(len(child) for child in root_element):
        raise SsoRequestError('Invalid XML format')
    return _normalize(
        (child.tag, child.text) for child in root_element if isinstance(child.tag, str)
    )
