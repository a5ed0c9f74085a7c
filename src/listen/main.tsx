/** Listener page entry: replaces the static "Loading…" shell with <App/>. */
import { render } from 'preact';
import { App } from './app.js';
import { JoinGate } from './join-prompt.js';

const root = document.getElementById('app');
if (root) {
  root.replaceChildren();
  render(
    <JoinGate>
      <App />
    </JoinGate>,
    root,
  );
}
