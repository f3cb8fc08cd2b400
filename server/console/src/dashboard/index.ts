// The service-standards dashboard (issue 6): `<servus-dashboard>`, mounted by the console's router.
// Importing this file defines the element (and its chart element); everything it needs lives here.
export { DASHBOARD_TAG, ServusDashboard } from './dashboard.js';
export { DashboardChart } from './chart.js';
