"""Formats of the identifiers Ameyo puts in its URLs and API bodies."""

import re

# Ameyo ids (crtObjectId, userCrtObjectId, sessionId, userId, campaignId, queueId, customerId):
# letters, digits and - _ . @ : (user ids are often e-mail addresses).
AMEYO_ID_RE = re.compile(r'^[A-Za-z0-9._@:-]{1,128}$')
