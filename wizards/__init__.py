from . import ameyo_dispose_wizard
from . import ameyo_callback_reassign
