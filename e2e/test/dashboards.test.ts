/**
 * The dashboards cannot rot: every PromQL query in infra/grafana/*.json names metrics and labels
 * that the real services export. The one-machine system runs (every service its own process, as
 * `npm start` has it), a little traffic goes through the entry point so the labelled series
 * exist, and each service's own /metrics (on its port, not through the entry point) is scraped.
 * A service's dashboard is checked against that service's /metrics; the overview against each
 * service's, every query answered by at least one. (That every dashboard ships in a ConfigMap
 * and is a valid Grafana dashboard: infra/ops/test/dashboards.test.ts.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { authRoutes, mediaRoutes, postsRoutes, searchRoutes, timelineRoutes } from '@lumina/contract';
import {
  jobMatchers,
  matcherMatches,
  parseExposition,
  queriesOf,
  unanswered,
  type DashboardQuery,
  type Exposition,
} from './dashboard-queries';
import { eventually, expectStatus, Person, startE2eSystem, type E2eSystem } from './support';

const REPO = join(__dirname, '..', '..');
const GRAFANA_DIR = join(REPO, 'infra', 'grafana');
const SERVICES = ['auth', 'posts', 'media', 'search', 'timeline'] as const;
type Service = (typeof SERVICES)[number];
/** The `job` each service's pods get in Kubernetes (the PodMonitor's job label: app.kubernetes.io/name). Here media runs both roles. */
const JOBS: Record<Service, string[]> = {
  auth: ['auth'],
  posts: ['posts'],
  media: ['media', 'media-worker'],
  search: ['search'],
  timeline: ['timeline'],
};

const dashboardFiles = readdirSync(GRAFANA_DIR).filter((f) => f.endsWith('.json'));
const dashboard = (file: string) => JSON.parse(readFileSync(join(GRAFANA_DIR, file), 'utf8'));
/** lumina-posts.json → posts; the overview (and anything else) → every service. */
const serviceOf = (file: string): Service | undefined => SERVICES.find((s) => file === `lumina-${s}.json`);

let e2e: E2eSystem;
beforeAll(async () => {
  // The stream limits monitor exports the consumers' backlog every second instead of every minute.
  e2e = await startE2eSystem({ STREAM_LIMITS_CHECK_INTERVAL_MS: '1000' });
  await driveTraffic(e2e.url);
}, 180_000);
afterAll(() => e2e?.stop(), 60_000);

async function scrape(service: Service): Promise<Exposition> {
  const res = await fetch(`${e2e.system.processes.get(service)!.url}/metrics`);
  if (!res.ok) throw new Error(`${service} /metrics answered ${res.status}`);
  return parseExposition(await res.text());
}

/** What the dashboard's queries miss: for a service's dashboard in its /metrics, for the overview in every service's (answered by one is enough). */
async function unansweredIn(file: string): Promise<string[]> {
  const own = serviceOf(file);
  const expositions = new Map<Service, Exposition>();
  for (const s of own ? [own] : SERVICES) expositions.set(s, await scrape(s));
  const problems: string[] = [];
  for (const query of queriesOf(dashboard(file))) {
    const each = [...expositions.entries()].map(([service, exposition]) => ({ service, problems: unanswered(query, exposition) }));
    if (each.some((e) => e.problems.length === 0)) continue;
    problems.push(...each.flatMap((e) => e.problems.map((p) => `${e.service}: ${p}`)));
  }
  return problems;
}

test('the dashboards are the overview and one per service', () => {
  expect(dashboardFiles).toEqual(expect.arrayContaining(['lumina-overview.json', ...SERVICES.map((s) => `lumina-${s}.json`)]));
});

test.each(dashboardFiles)(
  "every query of %s names metrics and labels the services' /metrics export",
  async (file) => {
    expect(queriesOf(dashboard(file)).length).toBeGreaterThan(10);
    // The series appear as the events the traffic caused are handled and the monitor reports: wait for that, then assert.
    const problems = await eventually(async () => {
      const found = await unansweredIn(file);
      if (found.length > 0) throw Object.assign(new Error(found.join('\n')), { found });
      return found;
    }, 90_000).catch((err: { found?: string[] }) => err.found ?? [String(err)]);
    expect(problems).toEqual([]);
  },
  120_000,
);

test.each(dashboardFiles.filter((f) => serviceOf(f)))(
  "every query of %s selects the service's own pods by job and the namespace variable",
  (file) => {
    const jobs = JOBS[serviceOf(file)!];
    // The names the PodMonitor gives as `job`, so a dashboard's job is one Prometheus really has.
    const podMonitor = parse(readFileSync(join(REPO, 'infra', 'k8s', 'components', 'monitoring', 'podmonitor.yaml'), 'utf8'));
    const scraped: string[] = podMonitor.spec.selector.matchExpressions[0].values;
    for (const query of queriesOf(dashboard(file)).filter((q) => q.where.startsWith('panel')))
      for (const matchers of jobMatchers(query)) {
        const selected = scraped.filter((job) => matchers.length > 0 && matchers.every((m) => matcherMatches(m, job)));
        expect({ where: query.where, selected: selected.sort() }).toEqual({ where: query.where, selected: [...jobs].sort() });
      }
    for (const query of queriesOf(dashboard(file)).filter((q) => q.where.startsWith('panel')))
      expect({ where: query.where, namespace: query.expr.split('namespace=~"$namespace"').length - 1 }).toEqual({
        where: query.where,
        namespace: jobMatchers(query).length,
      });
  },
);

describe('the check fails where a dashboard would show nothing', () => {
  const query = (expr: string, legend = ''): DashboardQuery => ({
    where: 'test',
    expr,
    legendLabels: [...legend.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]!),
  });
  let posts: Exposition;
  beforeAll(async () => (posts = await scrape('posts')));

  test('a query the real /metrics answers passes', () => {
    expect(
      unanswered(
        query(
          'histogram_quantile(0.99, sum by (route, le) (rate(http_request_duration_seconds_bucket{job="posts"}[$__rate_interval])))',
          '{{route}}',
        ),
        posts,
      ),
    ).toEqual([]);
  });

  test.each([
    ['a metric no service exports', 'rate(http_requests_total[5m])', '', /http_requests_total is not exported/],
    ['a histogram series of a counter', 'rate(events_handled_total_bucket[5m])', '', /events_handled_total_bucket is not exported/],
    ['a label the metric does not have', 'sum by (path) (rate(http_request_duration_seconds_count[5m]))', '', /groups by path/],
    ['a matcher on a label the metric does not have', 'rate(events_published_total{outcome="ack"}[5m])', '', /has the label outcome/],
    [
      'a value no series has',
      'rate(http_request_duration_seconds_count{method="BREW"}[5m])',
      '',
      /no http_request_duration_seconds_count series matches/,
    ],
    ['a legend label the aggregation drops', 'sum by (route) (rate(http_request_duration_seconds_count[5m]))', '{{status}}', /drops/],
    ['a misspelt function', 'rte(http_request_duration_seconds_count[5m])', '', /does not parse|not exported/],
    ['broken PromQL', 'sum by (route (rate(http_request_duration_seconds_count[5m]))', '', /does not parse/],
  ])('%s', (_what, expr, legend, expected) => {
    expect(unanswered(query(expr, legend), posts).join('\n')).toMatch(expected);
  });
});

/** A little of everything through the entry point: accounts, a follow, a photo, a post, a like, a comment, reads twice (cache hits), searches, and a refusal per service. */
async function driveTraffic(url: string): Promise<void> {
  const ann = new Person(url, 'ann_dash');
  const bob = new Person(url, 'bob_dash');
  await ann.signUp();
  await bob.signUp();
  expect((await bob.send(authRoutes.signIn, { body: { email: 'bob_dash@example.com', password: 'not the password' } })).status).toBe(401);
  expect((await bob.send(authRoutes.follow, { params: { id: ann.id } })).status).toBe(204);
  expect((await bob.send(authRoutes.profile, { params: { username: ann.username } })).status).toBe(200);

  const mediaId = await ann.uploadPhoto(7);
  expect((await ann.send(mediaRoutes.getMedia, { params: { id: '000000000000000000000000' } })).status).toBeGreaterThanOrEqual(400);
  const created = await ann.send(postsRoutes.createPost, {
    body: { caption: 'Dashboards at dawn #metrics', media: [{ id: mediaId, alt: 'A generated photo' }] },
  });
  expectStatus(created, 201);
  const postId = created.body.post.id;
  for (let i = 0; i < 2; i++) expect((await bob.send(postsRoutes.getPost, { params: { id: postId } })).status).toBe(200);
  expect((await bob.send(postsRoutes.postsByAuthor, { query: { authorId: ann.id } })).status).toBe(200);
  expect((await bob.send(postsRoutes.getPost, { params: { id: '000000000000000000000000' } })).status).toBe(404);
  expect((await bob.send(postsRoutes.like, { params: { id: postId } })).status).toBe(200);
  expect((await bob.send(postsRoutes.addComment, { params: { id: postId }, body: { body: 'Nice graphs' } })).status).toBe(201);

  await eventually(async () => {
    const home = await bob.send(timelineRoutes.home);
    if (!home.ok || !home.body.items.some((i) => i.id === postId)) throw new Error('the post is not in the follower’s home yet');
  }, 60_000);
  // Read again, unchanged: the first page kept in Redis answers (timeline_first_pages_total{result="kept"}).
  for (let i = 0; i < 2; i++) expect((await bob.send(timelineRoutes.home)).status).toBe(200);
  expect((await new Person(url, 'nobody').send(timelineRoutes.home)).status).toBe(401);
  await eventually(async () => {
    const found = await bob.send(searchRoutes.posts, { query: { q: 'dawn' } });
    if (!found.ok || !found.body.items.some((i) => i.id === postId)) throw new Error('search has not indexed the post yet');
  }, 60_000);
  expect((await bob.send(searchRoutes.users, { query: { q: 'ann' } })).status).toBe(200);
  // A refusal of search's: a query without its required `q` (the typed client would not send one).
  expect((await bob.send(searchRoutes.users, { query: {} as { q: string } })).status).toBeGreaterThanOrEqual(400);
}
