from . import ameyo_server
from . import ameyo_campaign
from . import ameyo_campaign_record_field
from . import ameyo_queue
from . import ameyo_disposition

# the abstract parts of a call leg first: ameyo.call lists them in its _inherit (none overrides
# another)
from . import ameyo_call_pop
from . import ameyo_call_lookup_trace
from . import ameyo_call_measures
from . import ameyo_call_dispose
from . import ameyo_call_dial
from . import ameyo_call_attention
from . import ameyo_call_history
from . import ameyo_call_voice_log
from . import ameyo_call_crm_action

# its legs' indexes; the caller mixin lists its panel in its _inherit too
from . import ameyo_call_panel
from . import ameyo_call
from . import ameyo_agent_session
from . import res_company
from . import res_users
from . import res_config_settings
from . import ameyo_caller_mixin
from . import res_partner
from . import crm_lead
from . import ameyo_phone_pick
from . import ameyo_sso_token
from . import ameyo_sso_throttle
from . import ir_http
from . import ameyo_call_recording
from . import ameyo_recording_access
from . import ameyo_phone_key_rewrite
