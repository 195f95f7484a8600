/** @odoo-module **/

/**
 * Steps shared by the tours of relationship_health.
 */

import { formatDate } from "@web/core/l10n/dates";

const { DateTime } = luxon;

/**
 * The date ``days`` days from the browser's today, as a date field takes it.
 */
export function daysFromToday(days) {
    return formatDate(DateTime.now().plus({ days }));
}

/**
 * A step that, when the test asks for screenshots (cookie set by
 * tests/test_ui_tours.py when RH_SCREENSHOTS is set), waits until the test
 * has captured the page; otherwise it only checks its trigger.
 */
export function screenshot(name, trigger, prepare) {
    return {
        content: `Screenshot: ${name}`,
        trigger,
        run: async () => {
            if (!document.cookie.split("; ").includes("rh_screenshots=1")) {
                return;
            }
            if (prepare) {
                prepare();
            }
            // Let the layout settle (fonts, progress bars, charts).
            await new Promise((resolve) => setTimeout(resolve, 800));
            await new Promise((resolve) => {
                window.rhScreenshotTaken = resolve;
                console.log(`rh-screenshot:${name}`);
            });
        },
    };
}

/**
 * The prepare of a screenshot that centres the element of ``selector`` in
 * the page.
 */
export function scrollToCenter(selector) {
    return () => document.querySelector(selector).scrollIntoView({ block: "center" });
}

/**
 * A step that checks a read-only field of the form shows a value.
 */
export function fieldIsSet(name, content) {
    return {
        content,
        trigger: `.o_field_widget[name=${name}]`,
        run() {
            if (!this.anchor.textContent.trim()) {
                throw new Error(`${content}: the field ${name} is empty`);
            }
        },
    };
}

export function openSearchPanel() {
    return {
        content: "Open the filters and groupings",
        trigger: ".o_control_panel .o_searchview_dropdown_toggler",
        run: "click",
    };
}

export function closeSearchPanel() {
    return [
        {
            content: "Close the filters and groupings",
            trigger: ".o_control_panel .o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            trigger: "body:not(:has(.o_search_bar_menu))",
        },
    ];
}

/**
 * Open a new record from an entry of the Relationship Health menu (a list).
 */
export function createFromHealthMenu(item, content) {
    return [
        ...openHealthMenu(item, content),
        {
            trigger: ".o_list_view .o_list_button_add",
            run: "click",
        },
    ];
}

/**
 * Open an entry of the CRM's Relationship Health menu, by the xml id of its
 * menu item (relationship_health.relationship_health_menu_<item>).
 */
export function openHealthMenu(item, content = `Open the menu item ${item}`) {
    return [
        {
            content: "Open the Relationship Health menu",
            trigger: ".o_main_navbar [data-menu-xmlid='relationship_health.relationship_health_menu_root']",
            run: "click",
        },
        {
            content,
            trigger: `.dropdown-menu [data-menu-xmlid='relationship_health.relationship_health_menu_${item}']`,
            run: "click",
        },
    ];
}

export function openAccountsWorkspace() {
    return [
        ...openHealthMenu("accounts", "Open the accounts workspace"),
        {
            content: "The accounts are listed",
            trigger: ".o_list_view .o_data_row",
        },
    ];
}

/**
 * From an opportunity's form, open its customer's form.
 */
export function openCustomer(name) {
    return [
        {
            content: "Focus the customer field to show its link",
            trigger: ".o_field_widget[name=partner_id] input",
            run: "click",
        },
        {
            content: "Open the customer",
            trigger: ".o_field_widget[name=partner_id] .o_external_button",
            run: "click",
        },
        {
            trigger: `.o_form_view .o_breadcrumb:contains('${name}')`,
        },
    ];
}

/**
 * Steps that open the notebook page ``name`` of the form and wait until it
 * shows. The click is repeated (a few times at most) while the page is not
 * active: a click that lands while the form is still rendering is lost.
 */
export function openTab(name, content = "Open the tab") {
    const selector = `.o_form_view .o_notebook .nav-link[name=${name}]`;
    return [
        {
            content,
            trigger: selector,
            run: async () => {
                for (let attempt = 0; attempt < 20; attempt++) {
                    const tab = document.querySelector(selector);
                    if (tab && tab.classList.contains("active")) {
                        return;
                    }
                    if (tab) {
                        tab.click();
                    }
                    await new Promise((resolve) => setTimeout(resolve, 250));
                }
            },
        },
        {
            content: `${content}: it shows`,
            trigger: `${selector}.active`,
        },
    ];
}
