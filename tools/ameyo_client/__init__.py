"""The one place through which Odoo calls Ameyo, in three parts.

- :mod:`.transport`: how a request reaches Ameyo (one HTTP session, timeouts, TLS, retries, size
  caps), transport failures as :class:`AmeyoError`, logs without any secret;
- :mod:`.answers`: what Ameyo's answers say, whatever their shape, and the failure they describe;
- :mod:`.api`: :class:`AmeyoClient`, one method per Ameyo API (what the models call).

Every outbound request goes through the client's one transport.
"""

from .answers import AmeyoResponse, ameyo_reason, audio_mimetype, dispose_answer, read_response
from .api import MAX_VOICE_LOG_BYTES, PROBE_PATHS, REQUEST_ID_LENGTH, AmeyoClient, new_request_id
from .errors import AmeyoError
from .transport import AmeyoTransport, normalize_base_url
