// A tiny SPA (History API router, fake login) showing the Servus JS API in an app:
// identify on login (with a hash from our own server), shutdown on logout, events for the UI.
// Types: widget/servus.d.ts (window.Servus).
/* global Servus */

const view = document.getElementById('view');
const account = document.getElementById('account');
let user = JSON.parse(sessionStorage.getItem('demo-user') ?? 'null');

const pages = {
  '/': () => '<h1>Welcome</h1><p>Gear for the mountains.</p>',
  '/shop': () => '<h1>Shop</h1><p>Boots, jackets, bottles.</p>',
  '/help': () => '<h1>Help</h1><p>Ask us anything: <button id="ask">Open the chat</button></p>',
};

function render() {
  view.innerHTML = (pages[location.pathname] ?? pages['/'])();
  document.getElementById('ask')?.addEventListener('click', () => Servus('open'));
  account.innerHTML = user ? `${user.name} <button id="logout">Log out</button>` : '<button id="login">Log in as Alex</button>';
  document.getElementById('login')?.addEventListener('click', login);
  document.getElementById('logout')?.addEventListener('click', logout);
}

// Route changes: the widget keeps its socket and panel across client-side navigation by itself;
// nothing to call. (Its proactive rules are matched on the page the visitor landed on.)
document.addEventListener('click', (e) => {
  const a = e.target.closest('a[data-link]');
  if (!a) return;
  e.preventDefault();
  history.pushState(null, '', a.getAttribute('href'));
  render();
});
window.addEventListener('popstate', render);

async function login() {
  user = { id: 'user-42', name: 'Alex Example', email: 'alex@example.com' };
  sessionStorage.setItem('demo-user', JSON.stringify(user));
  // The hash is HMAC-SHA256(user id, site secret), computed by our server: never put the secret in the browser.
  const { hash } = await (await fetch(`/identity-hash?id=${encodeURIComponent(user.id)}`)).json();
  Servus('identify', { ...user, hash });
  render();
}

function logout() {
  user = null;
  sessionStorage.removeItem('demo-user');
  // Forget this visitor on this device: the next person at this computer starts a fresh chat.
  Servus('shutdown');
  render();
}

Servus('on', 'unread', ({ count }) => {
  document.title = count ? `(${count}) Trail Outfitters` : 'Trail Outfitters';
});
Servus('on', 'message', ({ author, text }) => console.info(`[chat] ${author.name ?? author.type}: ${text}`));

if (user) {
  // A returning, logged-in user: identify again on every page load.
  void fetch(`/identity-hash?id=${encodeURIComponent(user.id)}`)
    .then((r) => r.json())
    .then(({ hash }) => Servus('identify', { ...user, hash }));
}
render();
