// The connection state, always visible: online, reconnecting, polling (REST fallback), offline.
import type { RealtimeClient } from '@realtime-hub/client';
import { useConnectionState } from '@realtime-hub/client/react';
import { useTranslation } from 'react-i18next';

export function ConnectionStatus({ client }: { client: RealtimeClient }) {
  const state = useConnectionState(client);
  const { t } = useTranslation();
  return (
    <p role="status" aria-label={t('connection.label')} className={`connection connection-${state}`} data-state={state}>
      <span className="dot" aria-hidden="true" />
      {t(`connection.${state}`)}
    </p>
  );
}
