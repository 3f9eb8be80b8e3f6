/**
 * The admin token lives in the tab's session storage: it is gone when the tab closes, and other sites cannot
 * read it. `dispatch ui` hands it over in the URL fragment (`#token=…`), which never reaches the server; the page
 * moves it to session storage and removes it from the address bar and the history at once.
 */
const KEY = 'dispatch.token';

export function takeTokenFromFragment(): void {
  const match = /(?:^#|&)token=([^&]*)/.exec(location.hash);
  if (match === null) return;
  const token = decodeURIComponent(match[1] ?? '');
  if (token !== '') sessionStorage.setItem(KEY, token);
  history.replaceState(null, '', `${location.pathname}${location.search}#/`);
}

export function readToken(): string | undefined {
  return sessionStorage.getItem(KEY) ?? undefined;
}

export function saveToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}
