from . import ameyo_shared_number
from . import ameyo_campaign_report
