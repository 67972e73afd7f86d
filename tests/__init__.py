from . import test_access
from . import test_ameyo_client
from . import test_simulator_client
from . import test_browser
from . import test_constraints
from . import test_integration_urls
from . import test_log_masking
