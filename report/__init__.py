from . import ameyo_shared_number
