from . import lifecycle
from . import sso
