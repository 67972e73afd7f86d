"""The one exception of the Ameyo client, raised by its transport (the request failed) and by its
answer reading (Ameyo said no, or said something Odoo cannot read as a success)."""

from odoo.exceptions import UserError


class AmeyoError(UserError):
    """A failed call to Ameyo, with a message fit for the agent.

    ``kind`` says what went wrong: ``unreachable``, ``timeout``, ``tls``,
    ``auth`` (token or session rejected), ``refused`` (Ameyo said no, with a
    reason), ``server`` (5xx or HTML error page), ``bad_response``.
    ``reason`` is Ameyo's own words, when it gave any. ``sent`` tells whether
    the request may have reached Ameyo. ``outcome_unknown`` tells that it may
    have been carried out although Odoo has no answer it can read as such: a
    read timeout, a connection dropped after sending, a gateway's 502/503/504,
    an answer that is neither a known success nor a known failure.
    ``session_rejected`` (with ``auth``): Ameyo no longer accepts the agent's session the request
    carried (``invalid.session.id``): the session is dead, only a new Ameyo login gives another.
    """

    def __init__(
        self,
        message,
        *,
        kind,
        reason=None,
        status=None,
        sent=True,
        transient=False,
        outcome_unknown=False,
        session_rejected=False,
    ):
        super().__init__(message)
        self.kind = kind
        self.reason = reason
        self.status = status
        self.sent = sent
        self.transient = transient
        self.outcome_unknown = outcome_unknown
        self.session_rejected = session_rejected
