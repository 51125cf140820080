import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { App } from './App';
import { ignoreSecondClicks } from './double-click';
import { rescueFocusOnRemoval } from './focus-rescue';
import './i18n';
import { SessionProvider } from './session';
import './styles.css';

rescueFocusOnRemoval();
ignoreSecondClicks(document);

createRoot(document.getElementById('root')!).render(
  <BrowserRouter>
    <SessionProvider>
      <App />
    </SessionProvider>
  </BrowserRouter>,
);
