/** The console's entry: theme, data cache and the app. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { MantineProvider, type CSSVariablesResolver } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import '@mantine/core/styles.css';
import '@mantine/notifications/styles.css';
import './app.css';
import { App } from './App.tsx';
import { meOnce } from './api/client.ts';
import { prefetchIncidents } from './lib/incidents.ts';
import { initialScope } from './lib/session.tsx';
import { theme } from './theme.ts';

const queries = new QueryClient({
  defaultOptions: {
    queries: { staleTime: 5_000, retry: 1, refetchOnWindowFocus: true },
  },
});

// The first screen waits on who is logged in and, on the queue, on the incidents: ask for both
// while the app mounts (public/boot.js asked for the first before this bundle was even parsed).
const me = meOnce();
queries.setQueryDefaults(['me'], { retry: false });
queries.query({ queryKey: ['me'], queryFn: () => me }).catch(() => undefined);
void me.then(
  (m) => {
    const path = window.location.pathname;
    if (path === '/' || path === '/wall' || path.startsWith('/incidents'))
      prefetchIncidents(queries, initialScope(m));
  },
  () => undefined,
);

// Mantine's dimmed grey on its dark surfaces reads at about 4:1; body text needs 4.5:1 (WCAG AA).
const variables: CSSVariablesResolver = () => ({
  variables: {},
  light: {},
  dark: { '--mantine-color-dimmed': '#a6a6a6' },
});

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <MantineProvider
        theme={theme}
        forceColorScheme="dark"
        defaultColorScheme="dark"
        cssVariablesResolver={variables}
      >
        <Notifications position="bottom-right" />
        <QueryClientProvider client={queries}>
          <App />
        </QueryClientProvider>
      </MantineProvider>
    </StrictMode>,
  );
}
