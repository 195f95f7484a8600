from . import crm_salesperson_planner_visit
from . import relationship_health_engine
