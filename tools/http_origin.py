"""The origin a browser request says it comes from."""

from urllib.parse import urlsplit


def request_origin(headers, prefer='Origin'):
    """``scheme://host[:port]`` (lower case) of the request's Origin header, else its Referer; '' if
    none.

    ``prefer='Referer'`` reads the Referer first: an iframe navigation carries the embedding
    page there (browsers send Origin on it only in some cases).
    """
    names = ('Origin', 'Referer') if prefer == 'Origin' else ('Referer', 'Origin')
    value = next((headers.get(name) for name in names if headers.get(name)), '')
    if not value or value == 'null':
        return ''
    parts = urlsplit(value)
    if parts.scheme not in ('http', 'https') or not parts.netloc:
        return ''
    return f'{parts.scheme}://{parts.netloc}'.lower()
