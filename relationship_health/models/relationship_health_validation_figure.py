"""The figures of a score validation: how well the score foretold which
accounts lapsed, for the company, per scorecard and per salesperson."""

import tempfile

import pandas as pd

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, float_compare

from ..scoring.validation import REGRESSION_POINTS, validation_figures
from ..scoring.vocabulary import SCORED_BANDS, SIGNALS
from .health_actions import filtered_action, reload_notification
from .partner_health_fields import parent_field

FIGURE_KINDS = [
    ("company", "Company"),
    ("scorecard", "Scorecard"),
    ("salesperson", "Salesperson"),
]
#: What the figures of a group count its lines by (a histogram: scores
#: have one decimal, so a few thousand rows whatever the book's size).
HISTOGRAM_COLUMNS = ("score", "band", "lapsed")
#: A line's place in the sample the suggested weights rest on: a hash of
#: the account and the date, the same from one run to the next.
SAMPLE_ORDER = SQL("md5(partner_id::text || '/' || as_of::text), id")

MANAGER = "sales_team.group_sale_manager"
#: Who may change the company's own settings (the default scorecard).
SETTINGS_MANAGER = "base.group_system"


def rate_field(string, **kwargs):
    """A lapse rate, a share of accounts (0–1, shown as a percentage)."""
    kwargs.setdefault("readonly", True)
    return fields.Float(string=string, digits=(5, 4), **kwargs)


def band_rate(string):
    """A band's lapse rate, from the figure's band rows (0 when not given)."""
    return rate_field(string, compute="_compute_band_rates", store=True)


def read_frame(cr, query, columns):
    """The rows of ``query`` (an ``SQL`` selecting ``columns``) as a frame;
    through COPY into a temporary file, so that many rows cost the frame
    only (no Python object per value, no copy of their text in memory)."""
    types = {name: "float64" for name in ("score", *SIGNALS) if name in columns}
    with tempfile.TemporaryFile() as buffer:
        cr.copy_expert(
            f"COPY ({cr.mogrify(query).decode()}) TO STDOUT WITH (FORMAT csv)", buffer
        )
        buffer.seek(0)
        frame = pd.read_csv(
            buffer,
            names=list(columns),
            dtype={**types, "band": "category", "lapsed": "category"},
        )
    if "lapsed" in columns:
        frame["lapsed"] = frame["lapsed"].eq("t").to_numpy(dtype=bool)
    return frame


def read_histogram(cr, run_id, key=None, condition=None):
    """How many lines of ``run_id`` (``condition``: an extra SQL condition)
    have each score, band and lapse, per ``key`` (an SQL expression): a
    frame with the columns ``key``, :data:`HISTOGRAM_COLUMNS` and
    ``count``."""
    query = SQL(
        "SELECT %s, %s, count(*) FROM relationship_health_validation_line"
        " WHERE run_id = %s AND %s GROUP BY 1, 2, 3, 4",
        key or SQL("NULL"),
        SQL(", ").join(map(SQL.identifier, HISTOGRAM_COLUMNS)),
        run_id,
        condition or SQL("TRUE"),
    )
    return read_frame(cr, query, ("key", *HISTOGRAM_COLUMNS, "count"))


def read_sample(cr, run_id, condition, size):
    """The lapse and components of the lines of ``run_id`` under
    ``condition`` (``size`` of them) the suggested weights rest on: all of
    them up to :data:`REGRESSION_POINTS`, else that many, the first by
    :data:`SAMPLE_ORDER` (a hash of the account and the date: the same
    sample from one run to the next, spread over accounts and dates)."""
    columns = ("lapsed", *SIGNALS)
    query = SQL(
        "SELECT %s FROM relationship_health_validation_line WHERE run_id = %s AND %s",
        SQL(", ").join(map(SQL.identifier, columns)),
        run_id,
        condition,
    )
    if size > REGRESSION_POINTS:
        query = SQL("%s ORDER BY %s LIMIT %s", query, SAMPLE_ORDER, REGRESSION_POINTS)
    return read_frame(cr, query, columns)


def band_values(sequence, band, figure):
    """A band row of a figure from the core's figure of the band
    (``{"accounts", "lapsed", "rate"}``, rate None when not given)."""
    return {
        "sequence": sequence,
        "band": band,
        "accounts": figure.get("accounts", 0),
        "lapsed": figure.get("lapsed", 0),
        "rate": figure.get("rate") or 0.0,
        "has_rate": figure.get("rate") is not None,
    }


class RelationshipHealthValidationFigure(models.Model):
    """Written by the validation job from the lines of its run; users read
    them. A rate, the lift or the AUC resting on fewer accounts than the
    company's minimum is not given."""

    _name = "relationship.health.validation.figure"
    _description = "Relationship Health Score Validation Figure"
    _order = "run_id desc, sequence, id"

    run_id = parent_field("relationship.health.validation", string="Validation")
    company_id = fields.Many2one(related="run_id.company_id", store=True)
    min_accounts = fields.Integer(related="run_id.min_accounts")
    run_date = fields.Date(related="run_id.date", string="Run On")
    is_latest = fields.Boolean(related="run_id.is_latest", store=True, string="Latest")
    sequence = fields.Integer(readonly=True)
    kind = fields.Selection(FIGURE_KINDS, required=True, readonly=True)
    scorecard_id = fields.Many2one(
        "relationship.health.scorecard",
        readonly=True,
        ondelete="cascade",
        help="Empty: the company's own settings (its default scorecard).",
    )
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    name = fields.Char(compute="_compute_name")
    account_count = fields.Integer(
        string="Accounts", readonly=True, help="The accounts the points are of."
    )
    accounts = fields.Integer(
        string="Points",
        readonly=True,
        help="Points (an account at a date) the figure rests on.",
    )
    lapsed = fields.Integer(readonly=True, help="Points that lapsed in the horizon.")
    rate = rate_field("Lapse Rate")
    band_ids = fields.One2many(
        "relationship.health.validation.band", "figure_id", string="Bands"
    )
    # The rates of the band rows, for the columns of the figures' list.
    rate_healthy = band_rate("Healthy Lapse Rate")
    rate_watch = band_rate("Watch Lapse Rate")
    rate_at_risk = band_rate("At Risk Lapse Rate")
    rate_critical = band_rate("Critical Lapse Rate")
    rated_bands = fields.Char(
        compute="_compute_band_rates",
        store=True,
        help="The bands whose lapse rate is given (enough points), by name.",
    )
    lift = fields.Float(
        readonly=True,
        digits=(6, 2),
        help="The lapse rate of critical accounts over that of healthy ones.",
    )
    has_lift = fields.Boolean(readonly=True)
    auc = fields.Float(
        string="AUC",
        readonly=True,
        digits=(4, 3),
        help="The chance that an account that lapsed scored lower than one that "
        "did not: 1 ranks perfectly, 0.5 is chance.",
    )
    has_auc = fields.Boolean(readonly=True)
    weight_ids = fields.One2many(
        "relationship.health.validation.weight", "figure_id", string="Weights"
    )
    has_suggested = fields.Boolean(string="Has Suggested Weights", readonly=True)
    auc_current = fields.Float(
        string="AUC, Current Weights", readonly=True, digits=(4, 3)
    )
    has_auc_current = fields.Boolean(readonly=True)
    auc_suggested = fields.Float(
        string="AUC, Suggested Weights", readonly=True, digits=(4, 3)
    )
    has_auc_suggested = fields.Boolean(readonly=True)
    decile_ids = fields.One2many(
        "relationship.health.validation.decile", "figure_id", string="Deciles"
    )
    # Suggested weights applied (to the scorecard, or to the company's
    # settings for the company default), and what they replaced.
    applied_at = fields.Datetime(
        string="Suggestion Applied On", readonly=True, groups=MANAGER
    )
    applied_uid = fields.Many2one(
        "res.users", string="Suggestion Applied By", readonly=True, groups=MANAGER
    )
    weights_before = fields.Json(readonly=True, groups=MANAGER)
    weights_applied = fields.Json(readonly=True, groups=MANAGER)
    can_apply = fields.Boolean(compute="_compute_can_apply")

    @api.depends("kind", "scorecard_id", "user_id")
    def _compute_name(self):
        for figure in self:
            if figure.kind == "company":
                figure.name = figure.run_id.company_id.name
            elif figure.kind == "scorecard":
                figure.name = figure.scorecard_id.name or _("Company default")
            else:
                figure.name = figure.user_id.name or _("No salesperson")

    @api.depends("band_ids.band", "band_ids.rate", "band_ids.has_rate")
    def _compute_band_rates(self):
        for figure in self:
            rated = figure.band_ids.filtered("has_rate")
            rates = {row.band: row.rate for row in rated}
            for band in SCORED_BANDS:
                figure[f"rate_{band}"] = rates.get(band, 0.0)
            figure.rated_bands = " ".join(rated.mapped("band"))

    @api.depends("kind", "has_suggested", "is_latest", "scorecard_id", "applied_at")
    @api.depends_context("uid")
    def _compute_can_apply(self):
        """Whether the user may apply the suggestion now: a scorecard's
        figure of the latest run with a suggestion not applied yet."""
        allowed = self._may_apply_to()
        for figure in self:
            figure.can_apply = bool(
                figure.kind == "scorecard"
                and figure.has_suggested
                and figure.is_latest
                and not figure.sudo().applied_at
                and allowed(figure)
            )

    def _may_apply_to(self):
        """Whether the user may change the weights a figure is about: a
        scorecard for a sales manager, the company's settings for an
        administrator too."""
        user = self.env.user
        manager = user.has_group(MANAGER)
        admin = manager and user.has_group(SETTINGS_MANAGER)
        return lambda figure: admin if not figure.scorecard_id else manager

    def _weights_target(self):
        """The record whose weights the figure is about, and the names of its
        weight fields by component."""
        names = {name: f"health_weight_{name}" for name in SIGNALS}
        return self.scorecard_id or self.company_id, names

    def _weights_note(self, target, names, before, after, text):
        """Post ``text`` and the weights' change in the scorecard's chatter,
        or the run's for the company's settings."""
        shown = {
            name: ("{:g}".format(before[name]), "{:g}".format(after[name]))
            for name in SIGNALS
        }
        changes = ", ".join(
            _(
                "%(weight)s %(before)s → %(after)s",
                weight=target._fields[names[name]]._description_string(self.env),
                before=shown[name][0],
                after=shown[name][1],
            )
            for name in SIGNALS
        )
        thread = self.scorecard_id or self.run_id
        thread.sudo().message_post(
            body=_("%(what)s %(changes)s.", what=text, changes=changes)
        )

    def _check_apply_rights(self):
        self.ensure_one()
        if self.kind != "scorecard" or not self._may_apply_to()(self):
            raise AccessError(
                _(
                    "Only sales managers apply suggested weights to a scorecard, and "
                    "only administrators to the company's settings."
                )
            )

    def action_apply_suggested_weights(self):
        """Give the scorecard (or the company's settings) the weights the
        validation suggests, as percentages of the four; written in the
        chatter, undone by :meth:`action_undo_suggested_weights`."""
        self._check_apply_rights()
        if not self.can_apply:
            raise UserError(
                _(
                    "This figure has no suggested weights to apply: only the latest "
                    "validation of a scorecard with enough history has."
                )
            )
        target, names = self._weights_target()
        before = {name: target[names[name]] for name in SIGNALS}
        suggested = {row.signal: row.suggested for row in self.weight_ids}
        after = {name: round(100.0 * suggested[name], 1) for name in SIGNALS}
        target.write({names[name]: after[name] for name in SIGNALS})
        self.sudo().write(
            {
                "applied_at": fields.Datetime.now(),
                "applied_uid": self.env.uid,
                "weights_before": before,
                "weights_applied": after,
            }
        )
        if self.has_auc_current and self.has_auc_suggested:
            current, suggested = (
                "{:.3f}".format(self.auc_current),
                "{:.3f}".format(self.auc_suggested),
            )
            text = _(
                "Weights suggested by the score validation of %(date)s applied (AUC "
                "%(current)s → %(suggested)s):",
                date=self.run_date,
                current=current,
                suggested=suggested,
            )
        else:
            text = _(
                "Weights suggested by the score validation of %(date)s applied:",
                date=self.run_date,
            )
        self._weights_note(target, names, before, after, text)
        return reload_notification(
            _("Suggested weights applied to %(name)s.", name=self.name)
        )

    def action_undo_suggested_weights(self):
        """Give back the weights the suggestion replaced, unless they were
        changed since (then the user decides by hand)."""
        self._check_apply_rights()
        figure = self.sudo()
        if not figure.applied_at:
            raise UserError(_("No suggested weights were applied from this figure."))
        target, names = self._weights_target()
        now = {name: target[names[name]] for name in SIGNALS}
        applied, before = figure.weights_applied, figure.weights_before
        if any(
            float_compare(now[name], applied[name], precision_digits=1)
            for name in SIGNALS
        ):
            raise UserError(
                _(
                    "The weights of %(name)s were changed after the suggestion was "
                    "applied: change them by hand.",
                    name=self.name,
                )
            )
        target.write({names[name]: before[name] for name in SIGNALS})
        figure.write(
            {
                "applied_at": False,
                "applied_uid": False,
                "weights_before": False,
                "weights_applied": False,
            }
        )
        self._weights_note(
            target,
            names,
            now,
            before,
            _(
                "Suggested weights of the score validation of %(date)s undone:",
                date=self.run_date,
            ),
        )
        return reload_notification(
            _("The weights of %(name)s are back.", name=self.name)
        )

    @api.model
    def action_run_validation(self):
        """The button of the figures' list (see the run's)."""
        return self.env["relationship.health.validation"].action_run_validation()

    def action_open_deciles(self):
        """The lapse rate by score decile of this figure, as a graph."""
        self.ensure_one()
        return filtered_action(
            self.env,
            "relationship_health.relationship_health_validation_decile_action",
            [("figure_id", "=", self.id)],
            display_name=_("Lapse rate by score decile: %(name)s", name=self.name),
        )

    # ------------------------------------------------------------------
    # Built by the validation job
    # ------------------------------------------------------------------
    @api.model
    def _values(self, result, minimum, weights=None):
        """The figure's fields from the core's ``validation_figures`` (the
        overall rate not given on fewer points than ``minimum``)."""
        values = {"accounts": result["accounts"], "lapsed": result["lapsed"]}
        enough = result["accounts"] >= minimum
        values["rate"] = result["lapsed"] / result["accounts"] if enough else 0.0
        values["band_ids"] = [
            fields.Command.create(band_values(sequence, band, result[band]))
            for sequence, band in enumerate(SCORED_BANDS)
        ]
        for name in ("lift", "auc", "auc_current", "auc_suggested"):
            values[name] = result.get(name) or 0.0
            values[f"has_{name}"] = result.get(name) is not None
        suggested = result.get("suggested")
        values["has_suggested"] = bool(suggested)
        if weights or suggested:
            total = sum((weights or {}).values()) or 1.0
            values["weight_ids"] = [
                fields.Command.create(
                    {
                        "sequence": sequence,
                        "signal": name,
                        "current": (weights or {}).get(name, 0.0) / total,
                        "suggested": (suggested or {}).get(name, 0.0),
                    }
                )
                for sequence, name in enumerate(SIGNALS)
            ]
        values["decile_ids"] = [
            fields.Command.create(
                {
                    "decile": decile,
                    "accounts": count,
                    "rate": rate or 0.0,
                    "has_rate": rate is not None,
                }
            )
            for decile, count, rate in result.get("deciles") or ()
        ]
        return values

    @api.model
    def _build(self, run, weights_of):
        """Compute and write the figures of ``run`` from its lines: the
        lines counted by score, band and lapse in SQL (one query per kind),
        and per scorecard a sample of at most ``REGRESSION_POINTS`` lines
        with their components for the suggested weights; the memory does
        not grow with the book. ``weights_of``: ``{scorecard id: current
        weights}`` of the run's company."""
        cr = self.env.cr
        minimum = run.min_accounts
        vals_list = [
            {
                "kind": "company",
                "sequence": 0,
                **self._values(
                    validation_figures(read_histogram(cr, run.id), minimum), minimum
                ),
            }
        ]
        scorecard = SQL("COALESCE(scorecard_id, 0)")
        histograms = read_histogram(cr, run.id, key=scorecard)
        for scorecard_id, counts in histograms.groupby("key", sort=True):
            weights = weights_of.get(int(scorecard_id))
            sample = None
            if weights is not None:
                sample = read_sample(
                    cr,
                    run.id,
                    SQL("%s = %s", scorecard, int(scorecard_id)),
                    int(counts["count"].sum()),
                )
            result = validation_figures(counts, minimum, weights, sample)
            vals_list.append(
                {
                    "kind": "scorecard",
                    "sequence": 1,
                    "scorecard_id": int(scorecard_id) or False,
                    **self._values(result, minimum, weights),
                }
            )
            del sample, result
        histograms = read_histogram(
            cr, run.id, key=SQL("user_id"), condition=SQL("user_id IS NOT NULL")
        )
        for user_id, counts in histograms.groupby("key", sort=True):
            vals_list.append(
                {
                    "kind": "salesperson",
                    "sequence": 2,
                    "user_id": int(user_id),
                    **self._values(validation_figures(counts, minimum), minimum),
                }
            )
        accounts = self._account_counts(run)
        for vals in vals_list:
            vals["run_id"] = run.id
            key = {
                "company": 0,
                "scorecard": vals.get("scorecard_id") or 0,
                "salesperson": vals.get("user_id"),
            }[vals["kind"]]
            vals["account_count"] = accounts.get((vals["kind"], key), 0)
        return self.create(vals_list)

    @api.model
    def _account_counts(self, run):
        """``{(kind, key): distinct accounts}`` of the run's points: the
        company (key 0), each scorecard (0: the company default) and each
        salesperson, in one query."""
        self.env.cr.execute(
            SQL(
                """
                SELECT GROUPING(COALESCE(scorecard_id, 0), user_id),
                       COALESCE(scorecard_id, 0), user_id, count(DISTINCT partner_id)
                  FROM relationship_health_validation_line
                 WHERE run_id = %s
              GROUP BY GROUPING SETS ((), (COALESCE(scorecard_id, 0)), (user_id))
                """,
                run.id,
            )
        )
        counts = {}
        for grouping, scorecard_id, user_id, count in self.env.cr.fetchall():
            if grouping == 3:
                counts[("company", 0)] = count
            elif grouping == 1:  # grouped by scorecard
                counts[("scorecard", scorecard_id)] = count
            elif user_id is not None:
                counts[("salesperson", user_id)] = count
        return counts
