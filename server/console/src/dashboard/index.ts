// The service-standards dashboard (issue 6): `<servus-dashboard>`, mounted by the console's router
// (its own chunk). Importing this file defines the element and its chart element; it uses the
// console's query controller, i18n, api() and formats, and works on a page of its own as well.
export { DASHBOARD_TAG, ServusDashboard } from './dashboard.js';
export { DashboardChart } from './chart.js';
