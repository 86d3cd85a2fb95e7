/** The login form: user name and password; the API sets the session cookie. */
import { useState } from 'react';
import {
  Alert,
  Button,
  Center,
  Paper,
  PasswordInput,
  Stack,
  TextInput,
  Title,
} from '@mantine/core';
import { api, ApiError } from '../api/client.ts';

export function LoginPage({ onLoggedIn }: { onLoggedIn: () => Promise<void> }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  return (
    <Center component="main" h="100%">
      <Paper
        component="form"
        withBorder
        p="xl"
        w={360}
        aria-label="Log in"
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          setError(undefined);
          api
            .login(name, password)
            .then(onLoggedIn)
            .catch((err: unknown) => {
              setError(
                err instanceof ApiError
                  ? err.message
                  : `cannot reach the server: ${(err as Error).message}`,
              );
            })
            .finally(() => {
              setBusy(false);
            });
        }}
      >
        <Stack>
          <Title order={1} size="h2" ta="center" lts={2}>
            VIGIL
          </Title>
          <TextInput
            label="User name"
            name="username"
            autoComplete="username"
            required
            autoFocus
            value={name}
            onChange={(e) => {
              setName(e.currentTarget.value);
            }}
          />
          <PasswordInput
            label="Password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => {
              setPassword(e.currentTarget.value);
            }}
          />
          {error && (
            <Alert color="red" role="alert">
              {error}
            </Alert>
          )}
          <Button type="submit" loading={busy}>
            Log in
          </Button>
        </Stack>
      </Paper>
    </Center>
  );
}
