"""SQL pieces shared by every reader of the addon (``odoo.tools.SQL``)."""

from odoo.tools import SQL


def contact_ids_sql(account_ids):
    """SQL: the array of the ids of the partners of a set of accounts, the
    accounts themselves and their contacts (the one definition of "the
    contacts of these accounts"; ``account_ids`` are commercial partners).
    Use it as ``x.partner_id = ANY(%s)``: the partner index is used."""
    return SQL(
        "ARRAY(SELECT id FROM res_partner WHERE commercial_partner_id = ANY(%s))",
        [int(i) for i in account_ids],
    )
