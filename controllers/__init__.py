from . import lifecycle
from . import sso
from . import recording
