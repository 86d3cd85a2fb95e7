/* The console's first script: a plain file, run before the main bundle is even parsed, that asks the
   API who is logged in so the answer is on its way while the console loads (src/api/client.ts takes
   it). */
window.vigilBootMe = fetch('/api/v1/me', {
  credentials: 'same-origin',
  headers: { accept: 'application/json' },
});
