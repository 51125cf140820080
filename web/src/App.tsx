import { Navigate, Route, Routes, useLocation } from 'react-router';
import { lazy, type ReactNode } from 'react';
import { Layout } from './Layout';
import { ScreenSlot } from './screen-slot';
import { useSession } from './session';
import { Chat } from './screens/Chat';
import { DocumentEditor, Documents } from './screens/Documents';
import { JobDetail, Jobs } from './screens/Jobs';
import { Kiosk } from './screens/Kiosk';
import { KioskAdmin } from './screens/KioskAdmin';
import { People } from './screens/People';
import { SignIn } from './screens/SignIn';
import { Suggestions } from './screens/Suggestions';

// The dashboard's chart library (uPlot) is a tenth of the app's code and only admins use it: fetched on first use.
const Dashboard = lazy(() => import('./screens/Dashboard').then(({ Dashboard }) => ({ default: Dashboard })));

function RequireUser({ admin, children }: { admin?: boolean; children: ReactNode }) {
  const { user, lastUserId } = useSession();
  const location = useLocation();
  if (!user) return <Navigate to="/signin" replace state={{ from: location.pathname, fromUser: lastUserId }} />;
  if (admin && user.role !== 'admin') return <Navigate to="/chat" replace />;
  return children;
}

export function App() {
  return (
    <Routes>
      <Route path="/signin" element={<SignIn mode="signin" />} />
      <Route path="/signup" element={<SignIn mode="signup" />} />
      {/* The public computer's screen: no layout, no links to the rest of the app. */}
      <Route
        path="/kiosk"
        element={
          <ScreenSlot path="/kiosk">
            <Kiosk />
          </ScreenSlot>
        }
      />
      <Route
        element={
          <RequireUser>
            <Layout />
          </RequireUser>
        }
      >
        <Route path="/chat" element={<Chat />} />
        <Route path="/chat/:conversationId" element={<Chat />} />
        <Route path="/suggestions" element={<Suggestions />} />
        <Route path="/documents" element={<Documents />} />
        <Route path="/documents/:resourceId" element={<DocumentEditor />} />
        <Route path="/jobs" element={<Jobs />} />
        <Route path="/jobs/:jobId" element={<JobDetail />} />
        <Route
          path="/admin/dashboard"
          element={
            <RequireUser admin>
              <Dashboard />
            </RequireUser>
          }
        />
        <Route
          path="/admin/kiosk"
          element={
            <RequireUser admin>
              <KioskAdmin />
            </RequireUser>
          }
        />
        <Route
          path="/admin/people"
          element={
            <RequireUser admin>
              <People />
            </RequireUser>
          }
        />
      </Route>
      <Route path="*" element={<Navigate to="/chat" replace />} />
    </Routes>
  );
}
