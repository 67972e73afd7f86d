from . import log_masking
