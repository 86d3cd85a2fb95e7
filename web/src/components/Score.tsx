/** An incident's score as a badge; hovering or focusing it explains the score term by term. */
import { Badge, HoverCard, Progress, Stack, Table, Text, UnstyledButton } from '@mantine/core';
import type { ScoreTerm } from '../api/types.ts';
import { scoreColor } from '../theme.ts';

const TERM_LABEL: Readonly<Record<string, string>> = {
  severity: 'Severity',
  kill_chain: 'Kill chain',
  breadth: 'Breadth',
  asset_criticality: 'Asset criticality',
  confidence: 'Confidence',
  recency: 'Recency',
};

export function ScoreExplanation({ score, terms }: { score: number; terms: readonly ScoreTerm[] }) {
  return (
    <Stack gap={6} maw={460}>
      <Text size="sm" fw={600}>
        Score {score} of 100
      </Text>
      <Table withRowBorders={false} verticalSpacing={3} fz="xs">
        <Table.Tbody>
          {terms.map((t) => (
            <Table.Tr key={t.name}>
              <Table.Td w={120} style={{ whiteSpace: 'nowrap' }}>
                {TERM_LABEL[t.name] ?? t.name}
              </Table.Td>
              <Table.Td w={90}>
                <Progress
                  value={t.max > 0 ? (100 * t.points) / t.max : 0}
                  size="sm"
                  aria-label={`${TERM_LABEL[t.name] ?? t.name}: ${t.points} of ${t.max}`}
                />
              </Table.Td>
              <Table.Td w={50} style={{ whiteSpace: 'nowrap' }}>
                {t.points}/{t.max}
              </Table.Td>
              <Table.Td c="dimmed">{t.why}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

export function ScoreBadge({
  score,
  terms,
  size = 'md',
}: {
  score: number;
  terms: readonly ScoreTerm[] | undefined;
  size?: 'md' | 'lg' | 'xl';
}) {
  const badge = (
    <Badge
      size={size}
      variant="filled"
      color={scoreColor(score)}
      autoContrast
      w={size === 'md' ? 42 : undefined}
      styles={{ label: { overflow: 'visible' } }}
    >
      {score}
    </Badge>
  );
  if (!terms || terms.length === 0) return badge;
  return (
    <HoverCard openDelay={150} closeDelay={50} position="right-start" withinPortal shadow="md">
      <HoverCard.Target>
        <UnstyledButton
          aria-label={`Score ${score}: ${terms.map((t) => `${TERM_LABEL[t.name] ?? t.name} ${t.points} of ${t.max}`).join(', ')}`}
          data-testid="score"
          onClick={(e) => {
            e.stopPropagation();
          }}
        >
          {badge}
        </UnstyledButton>
      </HoverCard.Target>
      <HoverCard.Dropdown>
        <ScoreExplanation score={score} terms={terms} />
      </HoverCard.Dropdown>
    </HoverCard>
  );
}
