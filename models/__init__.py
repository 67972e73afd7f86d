from . import ameyo_server
from . import ameyo_campaign
from . import ameyo_queue
from . import ameyo_disposition
from . import ameyo_call
from . import ameyo_agent_session
from . import res_users
from . import res_config_settings
