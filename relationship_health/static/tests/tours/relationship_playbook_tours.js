/** @odoo-module **/

import { registry } from "@web/core/registry";
import {
    closeSearchPanel,
    openCustomer,
    openHealthMenu,
    openSearchPanel,
    screenshot,
    openTab,
} from "@relationship_health/../tests/tours/tour_steps";

/**
 * Dismiss the suggestion of ``product`` in the form's suggestions, with
 * ``reason`` (its value) picked in the dialog.
 */
function dismissSuggestion(product, reason, content) {
    return [
        {
            content,
            trigger: `.o_field_widget[name=health_suggestion_ids] .o_data_row:contains('${product}') button[name=action_dismiss]`,
            run: "click",
        },
        {
            content: "Say why",
            trigger: `.modal .o_field_widget[name=reason] input[data-value=${reason}]`,
            run: "click",
        },
        {
            trigger: ".modal button[name=action_apply]",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
    ];
}

/**
 * A sales rep opens the cross-sell opportunity the barnacle playbook gave a
 * loyal account, reads why each product is suggested and dismisses one the
 * customer was already offered, then one on the account that the customer
 * refused.
 */
registry.category("web_tour.tours").add("relationship_health_crosssell_rep", {
    url: "/odoo/crm",
    steps: () => [
        {
            content: "Open the cross-sell opportunity of the barnacle",
            trigger: ".o_kanban_record:contains('Cross-sell to a barnacle: Riverside Plumbing')",
            run: "click",
        },
        ...openTab("health_suggestions", "Open the suggestions"),
        {
            content: "Each suggestion says why: what similar accounts buy",
            trigger: ".o_field_widget[name=health_suggestion_ids] .o_data_row:contains('Gasket kit'):contains('Bought by 100% of 3 similar accounts')",
        },
        screenshot("opportunity_suggestions", ".o_field_widget[name=health_suggestion_ids] .o_data_row:contains('Pump'):contains('similar accounts')", () => {
            document.querySelector(".o_content").scrollTop = 0;
        }),
        ...dismissSuggestion("Gasket kit", "already_offered", "The gasket kits were offered already: dismiss them"),
        {
            content: "The dismissed suggestion is gone, the others stay",
            trigger: ".o_field_widget[name=health_suggestion_ids]:not(:has(.o_data_row:contains('Gasket kit'))) .o_data_row:contains('Pump')",
        },
        ...openCustomer("Riverside Plumbing"),
        ...openTab("relationship_health"),
        {
            content: "The account shows the same suggestions",
            trigger: ".o_field_widget[name=health_suggestion_ids]:not(:has(.o_data_row:contains('Gasket kit'))) .o_data_row:contains('Pump')",
        },
        ...dismissSuggestion("Sensor", "refused", "The customer does not want sensors"),
        {
            trigger: ".o_field_widget[name=health_suggestion_ids]:not(:has(.o_data_row:contains('Sensor'))) .o_data_row:contains('Pump')",
        },
        ...openHealthMenu("suggestions", "The suggestions of all my accounts"),
        {
            trigger: ".o_data_row:contains('Keystone Valves'):contains('Pump')",
        },
        {
            content: "Only my accounts', without the dismissed one",
            trigger: ".o_list_view:not(:has(.o_data_row:contains('Ana Souza'))):not(:has(.o_data_row:contains('Riverside Plumbing'):contains('Gasket kit')))",
        },
    ],
});

/**
 * A sales manager reviews the suggestions by product and the barnacle
 * playbook.
 */
registry.category("web_tour.tours").add("relationship_health_crosssell_manager", {
    url: "/odoo/crm",
    steps: () => [
        ...openHealthMenu("suggestions", "Open the cross-sell suggestions"),
        {
            trigger: ".o_list_view .o_data_row",
        },
        {
            content: "Rita's accounts",
            trigger: ".o_searchview_input",
            run: "edit Rita Rep",
        },
        {
            trigger: ".o_searchview_autocomplete .o_menu_item:contains('Salesperson')",
            run: "click",
        },
        {
            trigger: ".o_searchview_facet:contains('Rita Rep')",
        },
        openSearchPanel(),
        {
            content: "Group them by product",
            trigger: ".o_group_by_menu .o_menu_item:contains('Product')",
            run: "click",
        },
        ...closeSearchPanel(),
        {
            content: "Open the suggested pumps and sensors",
            trigger: ".o_group_header:contains('Pump')",
            run: "click",
        },
        {
            trigger: ".o_data_row:contains('Keystone Valves'):contains('Pump')",
        },
        {
            trigger: ".o_group_header:contains('Sensor')",
            run: "click",
        },
        screenshot("suggestions_by_product", ".o_data_row:contains('Riverside Plumbing'):contains('Sensor')"),
        ...openHealthMenu("playbook_results", "What did the playbooks give?"),
        {
            trigger: ".o_pivot th:contains('Cross-sell to a barnacle')",
        },
        {
            content: "Playbooks are configured with the CRM",
            trigger: ".o_main_navbar [data-menu-xmlid='crm.crm_menu_config']",
            run: "click",
        },
        {
            trigger: ".dropdown-menu [data-menu-xmlid='relationship_health.relationship_playbook_menu']",
            run: "click",
        },
        {
            content: "Open the barnacle playbook",
            trigger: ".o_data_row:contains('Cross-sell to a barnacle') .o_data_cell[name=name]",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=opportunity_kind]",
        },
        screenshot("playbook_barnacle", ".o_form_view .oe_stat_button:contains('Runs')"),
    ],
});
