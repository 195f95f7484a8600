/** @odoo-module **/

import { registry } from "@web/core/registry";
import {
    createFromHealthMenu,
    daysFromToday,
    fieldIsSet,
    openAccountsWorkspace,
    openHealthMenu,
    screenshot,
    scrollToCenter,
    openTab,
} from "@relationship_health/../tests/tours/tour_steps";

/**
 * A sales manager sets up a survey campaign for the key accounts (the
 * accounts picked with the filter editor), then reads the figures of a
 * running campaign and the responses by campaign.
 */
registry.category("web_tour.tours").add("relationship_health_campaign_create", {
    url: "/odoo/crm",
    steps: () => [
        ...createFromHealthMenu("survey_campaigns", "Survey campaigns are set up from the Relationship Health menu"),
        {
            trigger: ".o_form_view .o_field_widget[name=name] input",
            run: "edit Key accounts: NPS every four months",
        },
        {
            trigger: ".o_field_widget[name=survey_id] input",
            run: "edit Quarterly pulse",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains('Quarterly pulse')",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=cadence_days] input",
            run: "edit 120",
        },
        {
            trigger: ".o_field_widget[name=contacts_per_account] input",
            run: "edit 1",
        },
        {
            content: "Choose the accounts asked",
            trigger: ".o_field_widget[name=account_domain] .o_field_domain_dialog_button",
            run: "click",
        },
        {
            trigger: ".modal .o_domain_selector a:contains('New Rule')",
            run: "click",
        },
        {
            trigger: ".modal .o_tree_editor_condition .o_model_field_selector",
            run: "click",
        },
        {
            trigger: ".o_model_field_selector_popover .o_model_field_selector_popover_search input",
            run: "edit Tags",
        },
        {
            trigger: ".o_model_field_selector_popover li[data-name=category_id] button",
            run: "click",
        },
        {
            content: "The accounts with the tag Key account",
            trigger: ".modal .o_tree_editor_condition .o-autocomplete--input",
            run: "edit Key account",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains('Key account')",
            run: "click",
        },
        {
            trigger: ".modal .o_tree_editor_condition .o_tag:contains('Key account')",
        },
        {
            content: "Confirm the filter",
            trigger: ".modal .modal-footer .btn-primary",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal)) .o_field_widget[name=account_domain] .o_tree_editor_condition:contains('Key account')",
        },
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_view .o_form_saved",
        },
        {
            content: "The three key accounts are targeted",
            trigger: ".o_field_widget[name=account_count]:contains('3')",
        },
        {
            trigger: ".o_form_view:not(:has(.alert-warning:contains('No account matches')))",
        },
        {
            content: "Back to the campaigns",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains('Survey Campaigns')",
            run: "click",
        },
        {
            content: "The running campaign",
            trigger: ".o_data_row:contains('Every account: customer pulse') .o_data_cell[name=name]",
            run: "click",
        },
        {
            content: "Its figures: invitations, answers, response rate, NPS",
            trigger: ".o_field_widget[name=answered_count]:contains('3')",
        },
        screenshot("campaign", ".o_field_widget[name=invited_count]:contains('6')"),
        ...openHealthMenu("survey_responses", "The responses, campaign by campaign"),
        {
            trigger: ".o_pivot th:contains('Every account: customer pulse')",
        },
        {
            content: "Three answers of six invitations: a 50 % response rate",
            trigger: ".o_pivot tr:contains('Every account: customer pulse') td.o_pivot_cell_value:last:contains('50.0')",
        },
        screenshot("survey_responses", ".o_pivot th:contains('Answered')"),
    ],
});

/**
 * A sales rep puts off the next survey of an account a campaign asks (a
 * negotiation under way), with a reason kept on the account.
 */
registry.category("web_tour.tours").add("relationship_health_survey_postpone", {
    url: "/odoo/crm",
    steps: () => [
        ...openAccountsWorkspace(),
        {
            content: "Open the account",
            trigger: ".o_data_row:contains('Juniper Hotels') .o_data_cell[name=name]",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_breadcrumb:contains('Juniper Hotels')",
        },
        ...openTab("relationship_health", "Open the Relationship Health tab"),
        {
            content: "A campaign asks the account soon",
            trigger: ".o_field_widget[name=health_survey_campaign_id]:contains('Every account: customer pulse')",
        },
        {
            trigger: "button[name=action_postpone_survey]",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=date_until] input",
            run: `edit ${daysFromToday(45)}`,
        },
        {
            trigger: ".modal .o_field_widget[name=reason] input",
            run: "edit Contract renegotiation under way",
        },
        {
            trigger: ".modal button[name=action_apply]",
            run: "click",
        },
        {
            content: "The postponement is on the account",
            trigger: "body:not(:has(.modal)) .o_field_widget[name=health_survey_postpone_reason]:contains('Contract renegotiation under way')",
        },
        fieldIsSet("health_survey_postponed_until", "Postponed until a date"),
        {
            content: "And in its history",
            trigger: ".o-mail-Message:contains('Next survey postponed until')",
        },
        screenshot(
            "partner_surveys",
            ".o_field_widget[name=health_survey_postpone_reason]",
            scrollToCenter("button[name=action_postpone_survey]"),
        ),
    ],
});
