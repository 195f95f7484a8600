from . import helpdesk_ticket
from . import helpdesk_ticket_sla
from . import relationship_sla_policy
