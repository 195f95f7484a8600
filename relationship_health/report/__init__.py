from . import relationship_sla_report
from . import report_service_level
