/** @odoo-module **/

import { registry } from "@web/core/registry";
import { screenshot, scrollToCenter } from "@relationship_health/../tests/tours/tour_steps";

/**
 * A sales manager opens the score validation, reads how well the score
 * foretold lapses, looks at the lapse rate by decile of a scorecard and
 * applies the weights the validation suggests for it.
 */
registry.category("web_tour.tours").add("relationship_health_validation_weights", {
    url: "/odoo/crm",
    steps: () => [
        {
            content: "The score validation is with the CRM's reports",
            trigger: ".o_main_navbar [data-menu-xmlid='crm.crm_menu_report']",
            run: "click",
        },
        {
            trigger: ".dropdown-menu [data-menu-xmlid='relationship_health.relationship_health_validation_menu_figures']",
            run: "click",
        },
        {
            content: "The figures of the latest run: the company, each scorecard, each salesperson",
            trigger: ".o_list_view .o_data_row:contains('Company default')",
        },
        {
            content: "Open the Key Industry scorecard's figures",
            trigger: ".o_list_view .o_data_row:contains('Key Industry') .o_data_cell[name=name]",
            run: "click",
        },
        {
            content: "The weights the validation suggests, beside the current ones",
            trigger: ".o_form_view .o_rh_validation_weights .o_data_row:contains('Purchase Recency') .o_data_cell[name=suggested]:contains('100')",
        },
        screenshot(
            "score_validation",
            ".o_form_view .o_rh_validation_aucs .o_field_widget[name=auc_suggested]",
            scrollToCenter(".o_rh_validation_weights")
        ),
        {
            content: "How the lapse rate falls with the score",
            trigger: ".o_form_view button[name=action_open_deciles]",
            run: "click",
        },
        screenshot("validation_deciles", ".o_graph_renderer canvas"),
        {
            content: "Back to the scorecard's figures",
            trigger: ".o_breadcrumb .breadcrumb-item:not(.active):last a",
            run: "click",
        },
        {
            content: "Apply the suggested weights",
            trigger: ".o_form_view button[name=action_apply_suggested_weights]",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "Applied: they can be undone",
            trigger: ".o_form_view button[name=action_undo_suggested_weights]",
        },
        {
            trigger: ".o_form_view:not(:has(button[name=action_apply_suggested_weights]))",
        },
    ],
});
