// Where a screen is rendered: a loading line while its code arrives (the dashboard's is fetched on first use), and a
// message with a reload button in its place if it cannot be shown (its code out of reach, replaced by a deployment
// since the page was loaded, or a fault in the screen itself), rather than a blank page.
import { Component, type ReactNode, Suspense } from 'react';
import { useTranslation } from 'react-i18next';

function ScreenFailed() {
  const { t } = useTranslation();
  return (
    <div role="alert">
      <p className="error">{t('screenFailed')}</p>
      <button type="button" onClick={() => window.location.reload()}>
        {t('reload')}
      </button>
    </div>
  );
}

interface SlotProps {
  /** The page's path: a failure is forgotten once the user moves to another page. */
  path: string;
  children: ReactNode;
}

interface BoundaryState {
  /** Where the screen failed ('' until the next render learns the path); undefined while it works. */
  failedAt: string | undefined;
}

class ScreenBoundary extends Component<SlotProps, BoundaryState> {
  override state: BoundaryState = { failedAt: undefined };

  static getDerivedStateFromError(): BoundaryState {
    return { failedAt: '' };
  }

  static getDerivedStateFromProps(props: SlotProps, state: BoundaryState): BoundaryState | null {
    if (state.failedAt === '') return { failedAt: props.path };
    if (state.failedAt !== undefined && state.failedAt !== props.path) return { failedAt: undefined };
    return null;
  }

  override render() {
    return this.state.failedAt === undefined ? this.props.children : <ScreenFailed />;
  }
}

function Loading() {
  const { t } = useTranslation();
  return (
    <p role="status" className="muted">
      {t('loading')}
    </p>
  );
}

export function ScreenSlot({ path, children }: SlotProps) {
  return (
    <ScreenBoundary path={path}>
      <Suspense fallback={<Loading />}>{children}</Suspense>
    </ScreenBoundary>
  );
}
