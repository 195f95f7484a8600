/** @odoo-module **/

import { registry } from "@web/core/registry";
import {
    closeSearchPanel,
    daysFromToday,
    openAccountsWorkspace,
    openCustomer,
    openHealthMenu,
    openSearchPanel,
    screenshot,
    openTab,
} from "@relationship_health/../tests/tours/tour_steps";

/**
 * A sales rep's morning: the pipeline shows the health of each customer, the
 * at-risk one is opened, its reasons read, its health recomputed, a visit
 * planned and the retention follow-up marked done; then the rep's accounts.
 */
registry.category("web_tour.tours").add("relationship_health_rep_day", {
    url: "/odoo/crm",
    steps: () => [
        {
            content: "The pipeline shows the customer's health on the opportunity card",
            trigger: ".o_kanban_record:contains('Spring restock') .o_relationship_health_badge:contains('At Risk')",
        },
        {
            trigger: ".o_kanban_record:contains('Valve retrofit') .o_relationship_health_badge:contains('Critical')",
        },
        screenshot("pipeline", ".o_kanban_record:contains('Annual maintenance') .o_relationship_health_badge:contains('Healthy')"),
        {
            content: "Open the opportunity of the at-risk customer",
            trigger: ".o_kanban_record:contains('Spring restock')",
            run: "click",
        },
        {
            content: "The opportunity shows the customer's health",
            trigger: ".o_form_view .o_field_widget[name=partner_health_band]:contains('At Risk')",
        },
        ...openCustomer("Northwind Traders"),
        ...openTab("relationship_health", "Open the Relationship Health tab"),
        {
            content: "Read why the score is low",
            trigger: ".o_field_widget[name=health_reasons]:contains('No order for 66 days; this customer usually orders every 30 days.')",
        },
        {
            trigger: ".o_field_widget[name=health_band]:contains('At Risk')",
        },
        screenshot("partner_health", ".o_relationship_health_summary:contains('Purchase recency')", () => {
            document.querySelector(".o_notebook").scrollIntoView();
        }),
        {
            content: "Recompute the account now",
            trigger: "button[name=action_recompute_health]",
            run: "click",
        },
        {
            trigger: ".o_notification:contains('Relationship health recomputed for 1 accounts')",
        },
        {
            trigger: ".o_field_widget[name=health_reasons]:contains('No order for 66 days')",
        },
        {
            content: "Plan a visit",
            trigger: "button[name=action_plan_visit]",
            run: "click",
        },
        {
            content: "A customer visit is booked",
            trigger: ".o_form_view .o_field_widget[name=categ_ids]:contains('Customer Visit')",
        },
        {
            content: "The visit is booked with the customer",
            trigger: ".o_form_view .o_field_widget[name=name] :is(input, textarea)",
            run() {
                if (!this.anchor.value.includes("Visit: Northwind Traders")) {
                    throw new Error(`Unexpected visit title: ${this.anchor.value}`);
                }
            },
        },
        {
            content: "Back to the customer",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains('Northwind Traders')",
            run: "click",
        },
        {
            content: "Mark the retention follow-up done",
            trigger: ".o-mail-Activity:contains('Retention follow-up') .o-mail-Activity-markDone",
            run: "click",
        },
        {
            trigger: ".o-mail-ActivityMarkAsDone textarea",
            run: "edit Called the buyer: a visit is booked and the next order is planned for next week",
        },
        {
            trigger: ".o-mail-ActivityMarkAsDone button[aria-label=Done]",
            run: "click",
        },
        {
            content: "The follow-up is logged in the chatter",
            trigger: ".o-mail-Message:contains('Called the buyer')",
        },
        {
            trigger: ".o-mail-Chatter:not(:has(.o-mail-Activity:contains('Retention follow-up')))",
        },
        ...openAccountsWorkspace(),
        openSearchPanel(),
        {
            content: "Keep my accounts",
            trigger: ".o_filter_menu .o_menu_item:contains('My Accounts')",
            run: "click",
        },
        ...closeSearchPanel(),
        {
            trigger: ".o_searchview_facet:contains('My Accounts')",
        },
        {
            content: "Only my accounts are listed",
            trigger: ".o_list_view:not(:has(.o_data_row:contains('Cedar Logistics')))",
        },
        {
            content: "Worst first",
            trigger: ".o_data_row:first:contains('Harbor Freight Supplies')",
        },
        {
            content: "Northwind again: how are its service levels?",
            trigger: ".o_data_row:contains('Northwind Traders') .o_data_cell[name=name]",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_breadcrumb:contains('Northwind Traders')",
        },
        ...openTab("relationship_health"),
        {
            content: "One of its two commitments was kept",
            trigger: ".o_field_widget[name=sla_adherence_365]:contains('50')",
        },
        {
            trigger: "button[name=action_view_sla_events]:contains('See the commitments')",
            run: "click",
        },
        {
            content: "The breached commitment",
            trigger: ".o_data_row:contains('Breached') .o_data_cell[name=name]",
            run: "click",
        },
        {
            content: "The salesperson was asked to inform the customer",
            trigger: ".o-mail-Activity:contains('Inform the customer')",
        },
        screenshot("sla_breach", ".o_form_view button[name=action_inform_customer]"),
        {
            trigger: ".o_form_view button[name=action_inform_customer]",
            run: "click",
        },
        {
            content: "The email is ready: what was promised and that it was not kept",
            trigger: ".modal .o_field_widget[name=body]:contains('we did not keep that promise')",
        },
        {
            trigger: ".modal .o_mail_send",
            run: "click",
        },
        {
            content: "The email is in the commitment's history",
            trigger: "body:not(:has(.modal)) .o-mail-Message:contains('we did not keep that promise')",
        },
    ],
});

/**
 * A sales manager's review: the accounts by band, the at-risk accounts by
 * salesperson, and an account whose computed band is overridden by hand.
 */
registry.category("web_tour.tours").add("relationship_health_manager_day", {
    url: "/odoo/crm",
    steps: () => [
        ...openAccountsWorkspace(),
        openSearchPanel(),
        {
            content: "Group the accounts by band",
            trigger: ".o_group_by_menu .o_menu_item:contains('Band')",
            run: "click",
        },
        ...closeSearchPanel(),
        {
            content: "Open the critical accounts",
            trigger: ".o_group_header:contains('Critical')",
            run: "click",
        },
        {
            trigger: ".o_data_row:contains('Harbor Freight Supplies')",
        },
        {
            content: "Open the at-risk accounts",
            trigger: ".o_group_header:contains('At Risk')",
            run: "click",
        },
        screenshot("accounts_by_band", ".o_data_row:contains('Cedar Logistics')"),
        {
            content: "Drop the grouping by band",
            trigger: ".o_searchview_facet:contains('Band') .o_facet_remove",
            run: "click",
        },
        {
            trigger: ".o_list_view:not(:has(.o_group_header)) .o_data_row",
        },
        {
            content: "Compare salespeople in the graph",
            trigger: ".o_switch_view.o_graph",
            run: "click",
        },
        screenshot("graph", ".o_graph_renderer canvas"),
        {
            content: "Compare salespeople in the pivot table",
            trigger: ".o_switch_view.o_pivot",
            run: "click",
        },
        {
            trigger: ".o_pivot th:contains('Olga Field')",
        },
        {
            content: "Count the accounts too",
            trigger: ".o_pivot_buttons button:contains('Measures')",
            run: "click",
        },
        {
            trigger: ".o-dropdown--menu .dropdown-item:contains('Count')",
            run: "click",
        },
        {
            trigger: ".o_pivot_buttons button:contains('Measures')",
            run: "click",
        },
        screenshot("pivot", ".o_pivot th:contains('Count')"),
        {
            content: "See the accounts as cards, one column per band",
            trigger: ".o_switch_view.o_kanban",
            run: "click",
        },
        {
            content: "The critical column holds the critical accounts, worst first",
            trigger: ".o_kanban_group:has(.o_column_title:contains('Critical')) .o_kanban_record:first:contains('Harbor Freight Supplies')",
        },
        {
            content: "Each card says what pulled the score down",
            trigger: ".o_kanban_record:contains('Cedar Logistics'):contains('No order for 70 days; this customer usually orders every 30 days.')",
        },
        screenshot("kanban", ".o_kanban_group:has(.o_column_title:contains('Healthy')) .o_kanban_record:contains('Summit Tools')"),
        {
            content: "Back to the list",
            trigger: ".o_switch_view.o_list",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row",
        },
        openSearchPanel(),
        {
            content: "Keep the accounts at risk",
            trigger: ".o_filter_menu .o_menu_item:contains('At Risk')",
            run: "click",
        },
        {
            content: "Group them by salesperson",
            trigger: ".o_group_by_menu .o_menu_item:contains('Salesperson')",
            run: "click",
        },
        ...closeSearchPanel(),
        {
            trigger: ".o_searchview_facet:contains('At Risk')",
        },
        {
            content: "Open Olga's accounts at risk",
            trigger: ".o_group_header:contains('Olga Field')",
            run: "click",
        },
        {
            trigger: ".o_data_row:contains('Cedar Logistics')",
        },
        {
            content: "Only accounts at risk are listed: not Olga's critical one",
            trigger: ".o_list_view:not(:has(.o_data_row:contains('Pine Ridge Dairy')))",
        },
        {
            content: "Open the account",
            trigger: ".o_data_row:contains('Cedar Logistics') .o_data_cell[name=name]",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_breadcrumb:contains('Cedar Logistics')",
        },
        ...openTab("relationship_health", "Open the Relationship Health tab"),
        {
            trigger: ".o_field_widget[name=health_reasons]:contains('No order for')",
        },
        {
            content: "Override the band",
            trigger: "button[name=action_open_health_override]",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=band] select",
            run: 'select "watch"',
        },
        {
            trigger: ".modal .o_field_widget[name=date_until] input",
            run: `edit ${daysFromToday(45)}`,
        },
        {
            trigger: ".modal .o_field_widget[name=reason] textarea",
            run: "edit Framework contract signed last week; orders resume next month",
        },
        {
            trigger: ".modal button[name=action_apply]",
            run: "click",
        },
        {
            content: "The form says the band was set by hand",
            trigger: ".o_form_view .alert-warning:contains('Band set by hand'):contains('Framework contract signed last week')",
        },
        {
            trigger: ".o_field_widget[name=health_band]:contains('Watch')",
        },
        {
            trigger: ".o_field_widget[name=health_computed_band]:contains('At Risk')",
        },
        {
            content: "Service levels are configured with the CRM",
            trigger: ".o_main_navbar [data-menu-xmlid='crm.crm_menu_config']",
            run: "click",
        },
        {
            trigger: ".dropdown-menu [data-menu-xmlid='relationship_health.relationship_sla_policy_menu']",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_list_button_add",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=name] input",
            run: "edit Urgent orders shipped within 48 hours",
        },
        {
            trigger: ".o_field_widget[name=metric] select",
            run: 'select "delivery"',
        },
        {
            content: "Hours, not days",
            trigger: ".o_field_widget[name=target_type] input[data-value=hours]",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=target_value] input",
            run: "edit 0",
        },
        {
            content: "A target of zero hours is refused",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            trigger: ".modal:contains('must be a positive number of hours') .modal-footer .btn-primary",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
        {
            trigger: ".o_field_widget[name=target_value] input",
            run: "edit 48",
        },
        {
            content: "Only for the key accounts",
            trigger: ".o_field_widget[name=scope] input[data-value=tags]",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=category_ids] input",
            run: "edit Key account",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains('Key account')",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=category_ids] .o_tag:contains('Key account')",
        },
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_view .o_form_saved",
        },
        screenshot("sla_policy", ".o_form_view .o_breadcrumb:contains('Urgent orders shipped within 48 hours')"),
        ...openHealthMenu("sla_report", "How were the service levels kept, month by month?"),
        {
            content: "One of Northwind's two commitments was kept: 50 % adherence",
            trigger: ".o_pivot th:contains('Adherence (%)')",
        },
        {
            trigger: ".o_pivot td.o_pivot_cell_value:contains('50.0')",
        },
        screenshot("sla_adherence", ".o_pivot"),
    ],
});
