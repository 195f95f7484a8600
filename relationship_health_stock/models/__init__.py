from . import relationship_sla_policy
from . import sale_order
from . import stock_picking
