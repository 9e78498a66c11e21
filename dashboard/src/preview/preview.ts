// The preview frame (/app/preview.html): loads the real widget (`/widget.js`) for a site, answers the
// widget's configuration request with the settings the dashboard passed in the fragment (so unsaved
// changes show at once), and opens the chat. Everything else — sessions, chat, the email form —
// talks to the real widget API.
import './preview.css';

interface Spec {
  key: string;
  config: Record<string, unknown>;
  site: string;
}

function readSpec(): Spec | null {
  try {
    const spec = JSON.parse(decodeURIComponent(location.hash.slice(1))) as Spec;
    if (typeof spec.key !== 'string' || !/^[\w-]{8,128}$/.test(spec.key) || typeof spec.config !== 'object' || !spec.config) return null;
    return spec;
  } catch {
    return null;
  }
}

const spec = readSpec();
const note = document.getElementById('preview-note');
if (!spec) {
  if (note) note.textContent = 'Nothing to preview.';
} else {
  const title = document.getElementById('preview-title');
  if (title) title.textContent = typeof spec.config.siteName === 'string' ? spec.config.siteName : 'Your website';
  if (note && spec.site) note.textContent = `A preview of the chat on ${spec.site}. Ask it something your visitors ask.`;

  const configUrl = `${location.origin}/widget/v1/config`;
  const realFetch = window.fetch.bind(window);
  window.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    if (method === 'GET' && new URL(url, location.href).href.split('?')[0] === configUrl) {
      return Promise.resolve(new Response(JSON.stringify(spec.config), { status: 200, headers: { 'content-type': 'application/json' } }));
    }
    return realFetch(input, init);
  };

  const script = document.createElement('script');
  script.src = '/widget.js';
  script.async = true;
  script.dataset.site = spec.key;
  document.head.appendChild(script);

  // Open the chat as soon as the loader has drawn its launcher.
  const started = Date.now();
  const timer = setInterval(() => {
    const w = (window as Window & { CloopWidget?: { open?: () => void } }).CloopWidget;
    if (w?.open) {
      clearInterval(timer);
      w.open();
    } else if (Date.now() - started > 10_000) {
      clearInterval(timer);
      if (note) note.textContent = 'The widget did not start. Reload the page to try again.';
    }
  }, 50);
}
