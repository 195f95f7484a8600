"""What the buttons of the addons show and return: the counts of the smart
buttons, a notification that reloads the view, and the mail composer of the
emails sent to an account about its service (the service-level report, the
breach email) with their recipients."""


def linked_counts(records, model, field):
    """How many ``model`` rows point to each of ``records`` through their
    many2one ``field``: ``{record: count}``, one grouped read."""
    return dict(
        records.env[model]._read_group(
            [(field, "in", records.ids)], [field], ["__count"]
        )
    )


def fetch_partner_names(partners):
    """Compute the display names of ``partners`` at once (one query), in
    their environment: the activities created on them in that environment
    then name their document (``res_name``) from the cache, instead of a
    query and a computation each."""
    partners.mapped("display_name")
    return partners


def list_action(name, model, domain, view_mode="list"):
    """A window showing the ``model`` rows of ``domain`` (read-only lists of
    what a record did: notices sent, invitations…)."""
    return {
        "type": "ir.actions.act_window",
        "name": name,
        "res_model": model,
        "view_mode": view_mode,
        "domain": domain,
        "context": {"create": False},
    }


def filtered_action(env, xmlid, domain, context=None, **values):
    """The window action ``xmlid`` restricted to ``domain``, with
    ``context`` (when given) and other ``values`` (``display_name``…)."""
    action = env["ir.actions.act_window"]._for_xml_id(xmlid)
    action["domain"] = domain
    if context is not None:
        action["context"] = context
    action.update(values)
    return action


def reload_notification(message, kind="success"):
    """A notification (``kind``: success, warning…) with ``message``, then a
    reload of the view."""
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": {
            "type": kind,
            "message": message,
            "next": {"type": "ir.actions.client", "tag": "soft_reload"},
        },
    }


def account_recipients(account):
    """The account and its contacts with an email (ten at the most)."""
    contacts = account.child_ids.filtered(
        lambda c: c.email and c.type in ("contact", "other")
    )
    return (account.filtered("email") | contacts)[:10]


def composer_action(records, template_xmlid):
    """The mail composer on ``records`` with the template ``template_xmlid``
    (when it still exists), sent by email."""
    template = records.env.ref(template_xmlid, raise_if_not_found=False)
    return {
        "type": "ir.actions.act_window",
        "res_model": "mail.compose.message",
        "view_mode": "form",
        "views": [(False, "form")],
        "target": "new",
        "context": {
            "default_model": records._name,
            "default_res_ids": records.ids,
            "default_template_id": template.id if template else False,
            "default_composition_mode": "comment",
            "default_email_layout_xmlid": "mail.mail_notification_light",
            "force_email": True,
        },
    }
