// The service-standards dashboard (issue 6): `<servus-dashboard>`, mounted by the console's router.
// Placeholder until the dashboard is built; owned by the dashboard work, not by the console shell.
export const DASHBOARD_TAG = 'servus-dashboard';
