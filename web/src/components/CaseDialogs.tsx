/** The keyboard-driven dialogs of case work: assign (a) and set status (s), for one or many incidents. */
import { useEffect, useState } from 'react';
import {
  Autocomplete,
  Button,
  Group,
  Kbd,
  Modal,
  Stack,
  Text,
  UnstyledButton,
} from '@mantine/core';
import { STATUSES, type IncidentStatus } from '../api/types.ts';
import { STATUS_COLOR } from '../theme.ts';

export const STATUS_LABEL: Readonly<Record<IncidentStatus, string>> = {
  new: 'New',
  triage: 'Triage',
  investigating: 'Investigating',
  contained: 'Contained',
  resolved: 'Resolved',
  false_positive: 'False positive',
  benign: 'Benign',
};

export function AssignDialog({
  opened,
  count,
  me,
  known,
  current,
  onClose,
  onAssign,
}: {
  opened: boolean;
  count: number;
  me: string;
  known: readonly string[];
  current: string | null | undefined;
  onClose: () => void;
  onAssign: (who: string | null) => void;
}) {
  const [who, setWho] = useState(current ?? me);
  useEffect(() => {
    if (opened) setWho(current ?? me);
  }, [opened, current, me]);
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={count === 1 ? 'Assign incident' : `Assign ${count} incidents`}
      size="sm"
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          onAssign(who.trim() === '' ? null : who.trim());
        }}
      >
        <Stack>
          <Autocomplete
            label="Assignee"
            data={[...new Set([me, ...known])]}
            value={who}
            onChange={setWho}
            placeholder="user name (empty: unassign)"
          />
          <Group justify="space-between">
            <Button
              variant="light"
              data-autofocus
              onClick={() => {
                onAssign(me);
              }}
            >
              Assign to me
            </Button>
            <Button type="submit">Assign</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

export function StatusDialog({
  opened,
  count,
  current,
  onClose,
  onStatus,
}: {
  opened: boolean;
  count: number;
  current: IncidentStatus | undefined;
  onClose: () => void;
  onStatus: (s: IncidentStatus) => void;
}) {
  useEffect(() => {
    if (!opened) return;
    const key = (e: KeyboardEvent): void => {
      const n = Number(e.key);
      const s = STATUSES[n - 1];
      if (Number.isInteger(n) && s) {
        e.preventDefault();
        onStatus(s);
      }
    };
    window.addEventListener('keydown', key);
    return () => {
      window.removeEventListener('keydown', key);
    };
  }, [opened, onStatus]);
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={count === 1 ? 'Set status' : `Set status of ${count} incidents`}
      size="sm"
    >
      <Stack gap={4} role="listbox" aria-label="Status">
        {STATUSES.map((s, i) => (
          <UnstyledButton
            key={s}
            role="option"
            aria-selected={s === current}
            data-autofocus={s === current ? true : undefined}
            onClick={() => {
              onStatus(s);
            }}
            p={6}
            style={{
              borderRadius: 4,
              borderLeft: `4px solid var(--mantine-color-${STATUS_COLOR[s]}-6)`,
              background: s === current ? 'var(--mantine-color-dark-5)' : undefined,
            }}
          >
            <Group justify="space-between">
              <Text size="sm">{STATUS_LABEL[s]}</Text>
              <Kbd size="xs">{i + 1}</Kbd>
            </Group>
          </UnstyledButton>
        ))}
      </Stack>
    </Modal>
  );
}
