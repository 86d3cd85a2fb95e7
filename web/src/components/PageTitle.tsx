/**
 * A page's one level-one heading. It names the browser tab (`· Vigil`) and, when the user has just
 * navigated here, takes the focus so that a screen reader announces the new page.
 */
import { useEffect, useRef, type ReactNode } from 'react';
import { Title, type TitleProps } from '@mantine/core';
import { takePageFocus } from '../lib/router.tsx';

export function PageTitle({
  children,
  tab,
  ...rest
}: {
  children: ReactNode;
  /** The tab title, when the heading is not plain text. */
  tab?: string;
} & Omit<TitleProps, 'order' | 'children'>) {
  const ref = useRef<HTMLHeadingElement>(null);
  const name = tab ?? (typeof children === 'string' ? children : undefined);
  useEffect(() => {
    if (name !== undefined) document.title = `${name} · Vigil`;
  }, [name]);
  useEffect(() => {
    if (takePageFocus()) ref.current?.focus({ preventScroll: true });
  }, []);
  return (
    <Title ref={ref} order={1} size="h2" tabIndex={-1} className="vg-page-title" {...rest}>
      {children}
    </Title>
  );
}
