/**
 * Administration: tenants (provider admins), users and roles, ingest keys (shown once on creation,
 * revocable), and a tenant's SLA targets and asset criticality tags where the server offers them.
 */
import { useEffect, useState } from 'react';
import {
  Alert as Callout,
  Badge,
  Button,
  Code,
  Group,
  MultiSelect,
  Modal,
  PasswordInput,
  Select,
  Stack,
  Switch,
  Table,
  Tabs,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { notifications } from '@mantine/notifications';
import { api, ApiError, request } from '../api/client.ts';
import type { Role } from '../api/types.ts';
import { useSession } from '../lib/session.tsx';
import { utc } from '../lib/format.ts';
import { TenantSelect } from '../components/TenantSelect.tsx';
import { PageTitle } from '../components/PageTitle.tsx';

const fail = (e: unknown): void => {
  notifications.show({ color: 'red', message: (e as Error).message });
};

export default function AdminPage() {
  const session = useSession();
  const providerAdmin = session.me.user.role === 'provider_admin';
  const [tenant, setTenant] = useState(session.scope ?? session.me.tenants[0]?.id ?? '');
  return (
    <Stack gap="sm">
      <Group justify="space-between">
        <PageTitle>Admin</PageTitle>
        <TenantSelect value={tenant} onChange={setTenant} />
      </Group>
      <Tabs defaultValue={providerAdmin ? 'tenants' : 'users'} keepMounted={false}>
        <Tabs.List>
          {providerAdmin && <Tabs.Tab value="tenants">Tenants</Tabs.Tab>}
          <Tabs.Tab value="users">Users</Tabs.Tab>
          <Tabs.Tab value="keys">Ingest keys</Tabs.Tab>
          <Tabs.Tab value="settings">SLA and assets</Tabs.Tab>
          <Tabs.Tab value="audit">Audit log</Tabs.Tab>
        </Tabs.List>
        {providerAdmin && (
          <Tabs.Panel value="tenants" pt="sm">
            <Tenants />
          </Tabs.Panel>
        )}
        <Tabs.Panel value="users" pt="sm">
          <Users tenant={tenant} providerAdmin={providerAdmin} />
        </Tabs.Panel>
        <Tabs.Panel value="keys" pt="sm">
          {tenant && <Keys tenant={tenant} />}
        </Tabs.Panel>
        <Tabs.Panel value="settings" pt="sm">
          {tenant && (
            <Stack>
              <JsonSetting tenant={tenant} path="sla" title="SLA targets per severity" />
              <JsonSetting tenant={tenant} path="assets" title="Asset criticality tags" />
            </Stack>
          )}
        </Tabs.Panel>
        <Tabs.Panel value="audit" pt="sm">
          <Audit tenant={providerAdmin ? undefined : tenant} />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

function Tenants() {
  const client = useQueryClient();
  const q = useQuery({ queryKey: ['tenants'], queryFn: api.tenants });
  const [name, setName] = useState('');
  return (
    <Stack gap="xs">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          api
            .createTenant(name)
            .then(async (t) => {
              notifications.show({ color: 'green', message: `created tenant ${t.id}` });
              setName('');
              await client.invalidateQueries({ queryKey: ['tenants'] });
              await client.invalidateQueries({ queryKey: ['me'] });
            })
            .catch(fail);
        }}
      >
        <Group gap="xs" align="flex-end">
          <TextInput
            label="New tenant"
            size="xs"
            value={name}
            required
            onChange={(e) => {
              setName(e.currentTarget.value);
            }}
          />
          <Button size="xs" type="submit">
            Create
          </Button>
        </Group>
      </form>
      <Table fz="sm" striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Id</Table.Th>
            <Table.Th>Name</Table.Th>
            <Table.Th>Created</Table.Th>
            <Table.Th>Retention</Table.Th>
            <Table.Th>Disabled rules</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(q.data?.tenants ?? []).map((t) => (
            <Table.Tr key={t.id}>
              <Table.Td className="vg-mono">{t.id}</Table.Td>
              <Table.Td>{t.name}</Table.Td>
              <Table.Td>{utc(t.created_at)}</Table.Td>
              <Table.Td>{t.retention_days} days</Table.Td>
              <Table.Td>{t.disabled_rules.length}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

const ROLE_LABEL: Readonly<Record<Role, string>> = {
  provider_admin: 'provider admin',
  provider_analyst: 'provider analyst',
  customer_admin: 'customer admin',
  customer_viewer: 'customer viewer',
};

function Users({ tenant, providerAdmin }: { tenant: string; providerAdmin: boolean }) {
  const session = useSession();
  const client = useQueryClient();
  const q = useQuery({
    queryKey: ['users', providerAdmin ? '*' : tenant],
    queryFn: () => api.users(providerAdmin ? undefined : tenant),
  });
  const [form, setForm] = useState({
    name: '',
    password: '',
    role: 'customer_viewer',
    tenant,
    tenants: [] as string[],
  });
  const roles: Role[] = providerAdmin
    ? ['provider_admin', 'provider_analyst', 'customer_admin', 'customer_viewer']
    : ['customer_admin', 'customer_viewer'];
  const provider = form.role.startsWith('provider');
  return (
    <Stack gap="xs">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          api
            .createUser({
              name: form.name,
              password: form.password,
              role: form.role,
              ...(provider ? {} : { tenant: form.tenant || tenant }),
              ...(form.role === 'provider_analyst' ? { tenants: form.tenants } : {}),
            })
            .then(async (u) => {
              notifications.show({
                color: 'green',
                message: `created ${ROLE_LABEL[u.role]} ${u.name}`,
              });
              setForm({ ...form, name: '', password: '' });
              await client.invalidateQueries({ queryKey: ['users'] });
            })
            .catch(fail);
        }}
      >
        <Group gap="xs" align="flex-end" wrap="wrap">
          <TextInput
            label="User name"
            size="xs"
            required
            value={form.name}
            onChange={(e) => {
              setForm({ ...form, name: e.currentTarget.value });
            }}
          />
          <PasswordInput
            label="Password (8+)"
            size="xs"
            required
            minLength={8}
            value={form.password}
            onChange={(e) => {
              setForm({ ...form, password: e.currentTarget.value });
            }}
          />
          <Select
            label="Role"
            size="xs"
            w={170}
            allowDeselect={false}
            value={form.role}
            data={roles.map((r) => ({ value: r, label: ROLE_LABEL[r] }))}
            onChange={(v) => {
              setForm({ ...form, role: v ?? 'customer_viewer' });
            }}
          />
          {!provider && providerAdmin && (
            <Select
              label="Tenant"
              size="xs"
              w={170}
              allowDeselect={false}
              value={form.tenant || tenant}
              data={session.me.tenants.map((t) => ({ value: t.id, label: t.name }))}
              onChange={(v) => {
                setForm({ ...form, tenant: v ?? '' });
              }}
            />
          )}
          {form.role === 'provider_analyst' && (
            <MultiSelect
              label="Assigned tenants (none: all)"
              size="xs"
              w={260}
              value={form.tenants}
              data={session.me.tenants.map((t) => ({ value: t.id, label: t.name }))}
              onChange={(v) => {
                setForm({ ...form, tenants: v });
              }}
            />
          )}
          <Button size="xs" type="submit">
            Create user
          </Button>
        </Group>
      </form>
      {q.isError && <Callout color="red">{q.error.message}</Callout>}
      <Table fz="sm" striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Role</Table.Th>
            <Table.Th>Tenant</Table.Th>
            <Table.Th>Created</Table.Th>
            <Table.Th>Enabled</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(q.data?.users ?? []).map((u) => (
            <Table.Tr key={u.id}>
              <Table.Td>{u.name}</Table.Td>
              <Table.Td>
                <Badge
                  size="sm"
                  variant="light"
                  color={u.role.startsWith('provider') ? 'blue' : 'grape'}
                >
                  {ROLE_LABEL[u.role]}
                </Badge>
              </Table.Td>
              <Table.Td>
                {u.tenant}
                {u.tenants && u.tenants.length > 0 ? ` (${u.tenants.join(', ')})` : ''}
              </Table.Td>
              <Table.Td>{utc(u.created_at)}</Table.Td>
              <Table.Td>
                <Switch
                  size="xs"
                  checked={!u.disabled}
                  disabled={u.id === session.me.user.id}
                  aria-label={`${u.disabled ? 'Enable' : 'Disable'} ${u.name}`}
                  onChange={(e) => {
                    api
                      .updateUser(u.id, { disabled: !e.currentTarget.checked })
                      .then(() => client.invalidateQueries({ queryKey: ['users'] }))
                      .catch(fail);
                  }}
                />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

function Keys({ tenant }: { tenant: string }) {
  const client = useQueryClient();
  const q = useQuery({ queryKey: ['keys', tenant], queryFn: () => api.keys(tenant) });
  const [name, setName] = useState('');
  const [secret, setSecret] = useState<string>();
  return (
    <Stack gap="xs">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          api
            .createKey(tenant, name)
            .then(async (k) => {
              setSecret(k.key);
              setName('');
              await client.invalidateQueries({ queryKey: ['keys', tenant] });
            })
            .catch(fail);
        }}
      >
        <Group gap="xs" align="flex-end">
          <TextInput
            label="New ingest key"
            placeholder="name (e.g. winlogbeat-dc01)"
            size="xs"
            w={260}
            value={name}
            onChange={(e) => {
              setName(e.currentTarget.value);
            }}
          />
          <Button size="xs" type="submit">
            Create key
          </Button>
        </Group>
      </form>
      {q.isError && <Callout color="red">{q.error.message}</Callout>}
      <Table fz="sm" striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Prefix</Table.Th>
            <Table.Th>Created</Table.Th>
            <Table.Th>State</Table.Th>
            <Table.Th>
              <span className="vg-sr-only">Actions</span>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(q.data?.keys ?? []).map((k) => (
            <Table.Tr key={k.id}>
              <Table.Td>{k.name || '—'}</Table.Td>
              <Table.Td className="vg-mono">{k.prefix}…</Table.Td>
              <Table.Td>{utc(k.created_at)}</Table.Td>
              <Table.Td>{k.revoked_at ? `revoked ${utc(k.revoked_at)}` : 'active'}</Table.Td>
              <Table.Td>
                {!k.revoked_at && (
                  <Button
                    size="compact-xs"
                    color="red"
                    variant="subtle"
                    onClick={() => {
                      api
                        .revokeKey(tenant, k.id)
                        .then(() => client.invalidateQueries({ queryKey: ['keys', tenant] }))
                        .catch(fail);
                    }}
                  >
                    Revoke
                  </Button>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Modal
        opened={secret !== undefined}
        onClose={() => {
          setSecret(undefined);
        }}
        title="Ingest key created"
      >
        <Stack>
          <Text size="sm">Copy it now: it is shown only once. Only its hash is stored.</Text>
          <Code block data-testid="new-key">
            {secret}
          </Code>
          <Button
            onClick={() => {
              void navigator.clipboard.writeText(secret ?? '').catch(() => undefined);
              setSecret(undefined);
            }}
          >
            Copy and close
          </Button>
        </Stack>
      </Modal>
    </Stack>
  );
}

/** A tenant setting the server keeps as a JSON document (GET and PUT at /api/v1/tenants/{id}/{path}). */
function JsonSetting({ tenant, path, title }: { tenant: string; path: string; title: string }) {
  const client = useQueryClient();
  const url = `/api/v1/tenants/${encodeURIComponent(tenant)}/${path}`;
  const q = useQuery({
    queryKey: ['setting', tenant, path],
    queryFn: () => request<unknown>('GET', url),
    retry: false,
  });
  const [text, setText] = useState('');
  useEffect(() => {
    if (q.data !== undefined) setText(JSON.stringify(q.data, null, 2));
  }, [q.data]);
  if (q.error instanceof ApiError && q.error.status === 404)
    return (
      <Text size="sm" c="dimmed">
        {title}: this server does not offer them yet.
      </Text>
    );
  return (
    <Stack gap={4}>
      <Text fw={600}>{title}</Text>
      <Textarea
        autosize
        minRows={4}
        maxRows={16}
        styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 12 } }}
        value={text}
        onChange={(e) => {
          setText(e.currentTarget.value);
        }}
        aria-label={title}
      />
      <Group>
        <Button
          size="xs"
          onClick={() => {
            let body: unknown;
            try {
              body = JSON.parse(text);
            } catch (e) {
              fail(new Error(`not JSON: ${(e as Error).message}`));
              return;
            }
            request('PUT', url, body)
              .then(async () => {
                notifications.show({ color: 'green', message: `${title} saved` });
                await client.invalidateQueries({ queryKey: ['setting', tenant, path] });
              })
              .catch(fail);
          }}
        >
          Save
        </Button>
      </Group>
    </Stack>
  );
}

function Audit({ tenant }: { tenant: string | undefined }) {
  const q = useQuery({ queryKey: ['audit', tenant ?? '*'], queryFn: () => api.audit(tenant) });
  if (q.isError) return <Callout color="red">{q.error.message}</Callout>;
  return (
    <Table fz="xs" striped verticalSpacing={2}>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>#</Table.Th>
          <Table.Th>Time (UTC)</Table.Th>
          <Table.Th>Tenant</Table.Th>
          <Table.Th>Actor</Table.Th>
          <Table.Th>Action</Table.Th>
          <Table.Th>Target</Table.Th>
          <Table.Th>Detail</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {(q.data?.entries ?? []).map((a) => (
          <Table.Tr key={a.seq}>
            <Table.Td>{a.seq}</Table.Td>
            <Table.Td className="vg-mono">{utc(a.ts)}</Table.Td>
            <Table.Td>{a.tenant}</Table.Td>
            <Table.Td>{a.actor}</Table.Td>
            <Table.Td>{a.action}</Table.Td>
            <Table.Td className="vg-mono">{a.target}</Table.Td>
            <Table.Td c="dimmed">{JSON.stringify(a.detail)}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
