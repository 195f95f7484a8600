"""Who reads and who writes the health fields of res.partner.

The group of every health field, the fields the sales team sets by hand, the
field factories of res.partner (and the account field of the records about
an account) and the check that keeps users from setting the engine's results
(called by res.partner's create and write).
"""

from odoo import fields
from odoo.exceptions import AccessError

#: Who reads an account's health: the sales team only. Every health field of
#: res.partner carries this group, so that neither the customer (whose portal
#: user reads their own commercial partner) nor an internal user without Sales
#: rights ever sees our judgement of the relationship.
HEALTH_READERS = "sales_team.group_sale_salesman"

#: Health fields the sales team sets by hand: the visit plan, and the service
#: commitments (checked by their own rules). The engine writes all the others.
USER_HEALTH_FIELDS = frozenset(
    {
        "visit_interval_days",
        "visit_tier_id",
        "visit_interval_override",
        "visit_plan_date",
        "sla_event_ids",
        "health_survey_postponed_until",
        "health_survey_postpone_reason",
    }
)


def health_field(field_class, *args, **kwargs):
    """A health field of res.partner: read by the sales team only
    (:data:`HEALTH_READERS`)."""
    return field_class(*args, groups=HEALTH_READERS, **kwargs)


def engine_result(field_class, *args, **kwargs):
    """A health field the engine (or a manager's override) writes: read-only
    in forms, not copied, read by the sales team only; users cannot set it
    (:func:`check_health_fields_writable`)."""
    return health_field(field_class, *args, readonly=True, copy=False, **kwargs)


def worded_result(field_class, string, compute, **kwargs):
    """The engine's results in words for the reader (reasons, a strategy…):
    computed when read by ``compute``, which depends on the context's
    language; read by the sales team only."""
    return health_field(field_class, string=string, compute=compute, **kwargs)


def score_result(string, **kwargs):
    """An engine result on the 0–100 scale of the score (a score, a share):
    one decimal, averaged when grouped."""
    return engine_result(
        fields.Float, string=string, digits=(5, 1), aggregator="avg", **kwargs
    )


def gap_result(string, **kwargs):
    """A SERVQUAL gap written by the engine (perception − expectation, on the
    items' 1–7 scale): one decimal, averaged when grouped."""
    return engine_result(
        fields.Float, string=string, digits=(4, 1), aggregator="avg", **kwargs
    )


def count_result(string, **kwargs):
    """A count written by the engine: summed when grouped."""
    return engine_result(fields.Integer, string=string, aggregator="sum", **kwargs)


def date_result(string, **kwargs):
    """A date written by the engine (a last order, a visit due…)."""
    return engine_result(fields.Date, string=string, **kwargs)


def days_result(string, **kwargs):
    """A number of days written by the engine: averaged when grouped."""
    return engine_result(fields.Integer, string=string, aggregator="avg", **kwargs)


def money_result(string, **kwargs):
    """An amount in company currency written by the engine: summed when grouped."""
    return engine_result(
        fields.Float,
        string=string,
        digits="Product Price",
        aggregator="sum",
        **kwargs,
    )


def account_field(**kwargs):
    """The customer account a record is about (a snapshot, a commitment, a
    failure…): required, deleted with the account."""
    return fields.Many2one(
        "res.partner", string="Account", required=True, ondelete="cascade", **kwargs
    )


def parent_field(comodel, **kwargs):
    """The record a row belongs to (an incident's update, a campaign's
    invitation, a playbook's run…): required, read-only, deleted with it."""
    return fields.Many2one(
        comodel, required=True, index=True, ondelete="cascade", readonly=True, **kwargs
    )


def is_protected(partners, name):
    """Whether only the engine (and, for the override, the override action
    of a sales manager) writes the field ``name`` of res.partner: every health
    field but the visit plan and the commitments, which have rules of their own."""
    field = partners._fields.get(name)
    return (
        bool(field)
        and field.groups == HEALTH_READERS
        and name not in USER_HEALTH_FIELDS
    )


def check_health_fields_writable(partners, field_names):
    """Refuse a create, write or import of health results by anyone but
    the engine (which writes as the superuser), and of the health fields
    by users outside the sales team."""
    if partners.env.su:
        return
    names = set(field_names)
    forbidden = sorted(name for name in names if is_protected(partners, name))
    if forbidden:
        labels = ", ".join(
            partners._fields[name].get_description(partners.env)["string"]
            for name in forbidden
        )
        raise AccessError(
            partners.env._(
                "Relationship health results are computed by the nightly job and cannot be "
                "set by hand (%(fields)s). A sales manager can override an account's band "
                "with “Override band”.",
                fields=labels,
            )
        )
    # Fields restricted to the sales team: create() does not check them.
    restricted = [
        name
        for name in names
        if name in partners._fields and partners._fields[name].groups == HEALTH_READERS
    ]
    if restricted:
        partners.check_field_access_rights("create", restricted)
