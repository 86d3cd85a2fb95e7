/**
 * Which of the user's tenants a page works on (admin, rules): shown only to a user who sees more than one.
 */
import { Select } from '@mantine/core';
import { useSession } from '../lib/session.tsx';

export function TenantSelect({
  value,
  onChange,
}: {
  value: string;
  onChange: (tenant: string) => void;
}) {
  const session = useSession();
  if (session.me.tenants.length <= 1) return null;
  return (
    <Select
      aria-label="Tenant"
      size="xs"
      w={200}
      value={value || null}
      allowDeselect={false}
      data={session.me.tenants.map((t) => ({ value: t.id, label: t.name }))}
      onChange={(v) => {
        onChange(v ?? '');
      }}
    />
  );
}
