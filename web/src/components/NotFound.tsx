/** What a missing page, or an object the user may not see, looks like (the API answers 404 for both). */
import { Button, Stack, Text } from '@mantine/core';
import { Link } from '../lib/router.tsx';
import { PageTitle } from './PageTitle.tsx';

export function NotFound({ what }: { what: string }) {
  return (
    <Stack align="center" mt="xl" gap="sm" role="alert">
      <PageTitle>Not found</PageTitle>
      <Text c="dimmed">{what}</Text>
      <Button component={Link} to="/incidents" variant="light">
        Back to the incident queue
      </Button>
    </Stack>
  );
}
