from . import ameyo_dispose_wizard
