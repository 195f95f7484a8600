from . import res_company
from . import res_config_settings
from . import relationship_health_snapshot
from . import relationship_sla_event
from . import survey_question
from . import relationship_health_engine
from . import res_partner
from . import crm_lead
