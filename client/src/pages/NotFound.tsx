import { Link } from 'react-router';
import { PageTitle } from '../components/Layout';
import { EmptyState } from '../components/status';

export default function NotFound() {
  return (
    <div className="px-4 md:px-0">
      <PageTitle inset={false}>Page not found</PageTitle>
      <EmptyState title="There is nothing at this address">
        <Link to="/" className="font-semibold text-violet-700 hover:underline">
          Go to your feed
        </Link>
      </EmptyState>
    </div>
  );
}
