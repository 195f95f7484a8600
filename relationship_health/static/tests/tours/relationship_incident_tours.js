/** @odoo-module **/

import { registry } from "@web/core/registry";
import {
    createFromHealthMenu,
    fieldIsSet,
    openAccountsWorkspace,
    screenshot,
    openTab,
    scrollToCenter,
} from "@relationship_health/../tests/tours/tour_steps";

/**
 * A sales manager declares a service incident: the accounts with the tag of
 * the failed service, the first notice, then an update.
 */
registry.category("web_tour.tours").add("relationship_health_incident_declare", {
    url: "/odoo/crm",
    steps: () => [
        ...createFromHealthMenu("incidents", "Service incidents are declared from the Relationship Health menu"),
        {
            trigger: ".o_form_view .o_field_widget[name=name] input",
            run: "edit Web shop checkout failing",
        },
        {
            content: "Publish it on the status page",
            trigger: ".o_field_widget[name=is_public] input",
            run: "click",
        },
        {
            content: "Choose the affected accounts by tag",
            trigger: ".o_field_widget[name=select_by] input[data-value=tags]",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=select_category_ids] input",
            run: "edit Web shop",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains('Web shop')",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=select_category_ids] .o_tag:contains('Web shop')",
        },
        {
            trigger: "button[name=action_add_matching_accounts]",
            run: "click",
        },
        {
            content: "The three accounts with the tag are affected",
            trigger: ".o_field_widget[name=account_count]:contains('3')",
        },
        {
            trigger: ".o_field_widget[name=partner_ids] .o_data_row:contains('Delta Garden Center')",
        },
        {
            content: "Not the accounts without the tag",
            trigger: ".o_field_widget[name=partner_ids]:not(:has(.o_data_row:contains('Coastal Realty')))",
        },
        ...openTab("messages", "Write what the customers are told first"),
        {
            trigger: ".o_field_widget[name=description] textarea",
            run: "edit Payments in our web shop fail at checkout: your orders are kept, but cannot be paid for now.",
        },
        {
            trigger: ".o_form_view button[name=action_declare]",
            run: "click",
        },
        {
            content: "Confirm: the first notice goes out now",
            trigger: ".modal:contains('The first notice goes to the contacts') .modal-footer .btn-primary",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "The incident is declared",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains('Investigating')",
        },
        {
            content: "A notice for each affected account",
            trigger: "button[name=action_view_notices]:contains('3')",
        },
        {
            trigger: ".o_field_widget[name=update_ids] .o_data_row:contains('Payments in our web shop fail')",
        },
        {
            content: "Keep the customers informed",
            trigger: ".o_field_widget[name=next_update] textarea",
            run: "edit The payment provider has found the fault; a fix is being rolled out.",
        },
        {
            trigger: "button[name=action_post_update]",
            run: "click",
        },
        {
            content: "The update is posted",
            trigger: ".o_field_widget[name=update_ids] .o_data_row:contains('a fix is being rolled out')",
        },
        {
            trigger: "button[name=action_view_notices]:contains('6')",
        },
        screenshot("incident_updates", ".o_field_widget[name=update_ids] .o_data_row:contains('Declared')"),
        ...openTab("accounts"),
        screenshot("incident_accounts", ".o_field_widget[name=partner_ids] .o_data_row:contains('Atlas Print Works')"),
    ],
});

/**
 * A sales rep opens a key account hit by an open incident: the incident is
 * on the account's health tab, and a call to make is in its activities.
 */
registry.category("web_tour.tours").add("relationship_health_incident_rep", {
    url: "/odoo/crm",
    steps: () => [
        ...openAccountsWorkspace(),
        {
            content: "Find the key account",
            trigger: ".o_searchview_input",
            run: "edit Atlas Print Works",
        },
        {
            trigger: ".o_searchview_input",
            run: "press Enter",
        },
        {
            trigger: ".o_searchview_facet:contains('Atlas Print Works')",
        },
        {
            trigger: ".o_list_view:not(:has(.o_data_row:contains('Bright Dental Clinic')))",
        },
        {
            content: "Open the key account",
            trigger: ".o_data_row:contains('Atlas Print Works') .o_data_cell[name=name]",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_breadcrumb:contains('Atlas Print Works')",
        },
        ...openTab("relationship_health", "Open the Relationship Health tab"),
        {
            content: "The open incident affecting the account",
            trigger: ".o_field_widget[name=health_incident_ids] .o_data_row:contains('Hosted e-mail unavailable')",
        },
        fieldIsSet("health_incident_informed", "The customer was told, and when"),
        {
            content: "Call the customer before they call",
            trigger: ".o-mail-Activity:contains('Call Atlas Print Works about Hosted e-mail unavailable')",
        },
        screenshot(
            "partner_incident",
            ".o_field_widget[name=health_incident_ids] .o_data_row:contains('Investigating')",
            scrollToCenter(".o_field_widget[name=health_incident_ids]"),
        ),
    ],
});

/**
 * Anyone reads the status page: the public incident and its updates, never
 * the accounts it affects.
 */
registry.category("web_tour.tours").add("relationship_health_status_page", {
    url: "/status",
    steps: () => [
        {
            content: "The public incident",
            trigger: ".o_status_incident:contains('Hosted e-mail unavailable')",
        },
        {
            content: "Its latest update",
            trigger: ".o_status_incident:contains('mailboxes are coming back one by one')",
        },
        {
            content: "No account name",
            trigger: ".o_relationship_status_page:not(:contains('Atlas Print Works'))",
        },
        screenshot("status_page", ".o_relationship_status_page"),
    ],
});
