/** The console: the login page until a session exists, then the shell with the screen the path names. */
import { lazy, Suspense, useEffect, useMemo, useState, type ReactNode } from 'react';
import {
  AppShell,
  Badge,
  Burger,
  Center,
  Group,
  Loader,
  Menu,
  NavLink,
  Select,
  Text,
  UnstyledButton,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, meOnce, setUnauthorizedHandler } from './api/client.ts';
import {
  Link,
  matchRoute,
  navigate,
  requestPageFocus,
  useLocation,
  type Route,
} from './lib/router.tsx';
import {
  initialScope,
  isProvider,
  navFor,
  SCOPE_KEY,
  SessionContext,
  type Session,
} from './lib/session.tsx';
import { LoginPage } from './pages/Login.tsx';
import { QueuePage } from './pages/Queue.tsx';
import { NotFound } from './components/NotFound.tsx';

const IncidentPage = lazy(() => import('./pages/Incident.tsx'));
const AlertPage = lazy(() => import('./pages/Alert.tsx'));
const OverviewPage = lazy(() => import('./pages/Overview.tsx'));
const EventsPage = lazy(() => import('./pages/Events.tsx'));
const RulesPage = lazy(() => import('./pages/Rules.tsx'));
const AdminPage = lazy(() => import('./pages/Admin.tsx'));
const WallPage = lazy(() => import('./pages/Wall.tsx'));

export function App() {
  const client = useQueryClient();
  const { pathname } = useLocation();
  const route = matchRoute(pathname);
  const me = useQuery({ queryKey: ['me'], queryFn: meOnce, retry: false, staleTime: 60_000 });

  useEffect(() => {
    setUnauthorizedHandler(() => {
      client.clear();
      void client.invalidateQueries({ queryKey: ['me'] });
    });
  }, [client]);

  if (me.isPending) {
    return (
      <Center h="100%">
        <Loader aria-label="Loading" />
      </Center>
    );
  }
  const unauthorised = me.error instanceof ApiError && me.error.status === 401;
  if (me.isError && !unauthorised) {
    return (
      <Center h="100%">
        <Text c="red">Cannot reach the Vigil API: {me.error.message}</Text>
      </Center>
    );
  }
  if (!me.data || unauthorised) {
    return (
      <LoginPage
        onLoggedIn={async () => {
          requestPageFocus();
          await client.invalidateQueries({ queryKey: ['me'] });
          if (route.name === 'login') navigate('/incidents', { replace: true });
        }}
      />
    );
  }
  return <LoggedIn me={me.data} route={route} />;
}

function LoggedIn({ me, route }: { me: Session['me']; route: Route }) {
  const client = useQueryClient();
  const [opened, { toggle }] = useDisclosure();
  const provider = isProvider(me.user.role);
  const [scope, setScopeState] = useState<string | undefined>(() => initialScope(me));
  const session = useMemo<Session>(
    () => ({
      me,
      scope: provider ? scope : me.user.tenant,
      setScope: (t) => {
        if (t === undefined) sessionStorage.removeItem(SCOPE_KEY);
        else sessionStorage.setItem(SCOPE_KEY, t);
        setScopeState(t);
      },
      logout: () => {
        void api.logout().finally(() => {
          client.clear();
          sessionStorage.removeItem(SCOPE_KEY);
          navigate('/login', { replace: true });
          window.location.reload();
        });
      },
    }),
    [me, scope, provider, client],
  );
  useEffect(() => {
    if (route.name === 'login') navigate('/incidents', { replace: true });
  }, [route.name]);

  if (route.name === 'wall') {
    // The wall is a screen of its own: no navigation bar, type sized for the room.
    return (
      <SessionContext.Provider value={session}>
        <Suspense fallback={<Loading />}>
          <WallPage />
        </Suspense>
      </SessionContext.Provider>
    );
  }

  const nav = navFor(me.user.role);
  const active =
    route.name === 'incident' || route.name === 'alert'
      ? 'queue'
      : route.name === 'not_found'
        ? ''
        : route.name;
  return (
    <SessionContext.Provider value={session}>
      <AppShell
        header={{ height: 52 }}
        navbar={{ width: 180, breakpoint: 'sm', collapsed: { mobile: !opened } }}
        padding="md"
      >
        <a
          href="#main"
          className="vg-skip"
          onClick={(e) => {
            e.preventDefault();
            const main = document.getElementById('main');
            const h1 = main?.querySelector<HTMLElement>('h1[tabindex]');
            (h1 ?? main)?.focus();
          }}
        >
          Skip to main content
        </a>
        <AppShell.Header>
          <Group h="100%" px="md" justify="space-between" wrap="nowrap">
            <Group gap="sm" wrap="nowrap">
              <Burger
                opened={opened}
                onClick={toggle}
                hiddenFrom="sm"
                size="sm"
                aria-label="Menu"
              />
              <Link
                to="/"
                style={{ textDecoration: 'none', color: 'inherit' }}
                aria-label="Vigil, overview"
              >
                <Text component="span" fz={22} fw={800} lts={1}>
                  VIGIL
                </Text>
              </Link>
              <Badge variant="light" color={provider ? 'blue' : 'grape'}>
                {provider ? 'Provider' : 'Customer'}
              </Badge>
            </Group>
            <Group gap="sm" wrap="nowrap">
              {provider ? (
                <Select
                  aria-label="Tenant scope"
                  w={220}
                  size="xs"
                  value={scope ?? '*'}
                  allowDeselect={false}
                  data={[
                    { value: '*', label: `All tenants (${me.tenants.length})` },
                    ...me.tenants.map((t) => ({ value: t.id, label: t.name })),
                  ]}
                  onChange={(v) => {
                    session.setScope(v === '*' || v === null ? undefined : v);
                  }}
                />
              ) : (
                <Text size="sm" c="dimmed">
                  {me.tenants.find((t) => t.id === me.user.tenant)?.name ?? me.user.tenant}
                </Text>
              )}
              <Menu position="bottom-end">
                <Menu.Target>
                  <UnstyledButton>
                    <Text size="sm">
                      {me.user.name}{' '}
                      <Text span c="dimmed" size="xs">
                        ({me.user.role.replace('_', ' ')})
                      </Text>
                    </Text>
                  </UnstyledButton>
                </Menu.Target>
                <Menu.Dropdown>
                  <Menu.Item onClick={session.logout}>Log out</Menu.Item>
                </Menu.Dropdown>
              </Menu>
            </Group>
          </Group>
        </AppShell.Header>
        <AppShell.Navbar p="xs" aria-label="Main">
          {nav.map((n) => (
            <NavLink
              key={n.key}
              component={Link}
              to={n.to}
              label={n.label}
              active={active === n.key}
              aria-current={active === n.key ? 'page' : undefined}
            />
          ))}
          <Text size="xs" c="dimmed" mt="auto" p="xs">
            Keys: j/k move · enter open · x select · a assign · s status · / search
          </Text>
        </AppShell.Navbar>
        <AppShell.Main id="main" tabIndex={-1}>
          <Suspense fallback={<Loading />}>
            <Screen route={route} />
          </Suspense>
        </AppShell.Main>
      </AppShell>
    </SessionContext.Provider>
  );
}

function Loading() {
  return (
    <Center p="xl">
      <Loader aria-label="Loading" />
    </Center>
  );
}

function Screen({ route }: { route: Route }): ReactNode {
  switch (route.name) {
    case 'login':
    case 'queue':
      return <QueuePage />;
    case 'overview':
      return <OverviewPage />;
    case 'incident':
      return (
        <IncidentPage key={`${route.tenant}/${route.id}`} tenant={route.tenant} id={route.id} />
      );
    case 'alert':
      return <AlertPage key={`${route.tenant}/${route.id}`} tenant={route.tenant} id={route.id} />;
    case 'events':
      return <EventsPage />;
    case 'rules':
      return <RulesPage />;
    case 'admin':
      return <AdminPage />;
    case 'wall':
      return null;
    case 'not_found':
      return <NotFound what={`No page at ${route.path}`} />;
  }
}
