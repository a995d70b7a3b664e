/**
 * What the Grafana dashboards (infra/grafana/*.json) ask Prometheus for, and whether a service's
 * real /metrics answers it. Every PromQL expression is parsed with the Prometheus project's own
 * grammar (@prometheus-io/lezer-promql, the one the Prometheus UI uses), so function names,
 * aggregation keywords, `by`/`without`/`on` labels and durations are told apart from metric names
 * by the parser rather than by a pattern. Histogram series (`_bucket`, `_sum`, `_count`) are
 * matched against the samples the exposition really lists, `le` included.
 */
import type { parser as PromqlParser } from '@prometheus-io/lezer-promql' with { 'resolution-mode': 'import' };

// Its CommonJS build (the package declares its types for the ES module only, which a CommonJS
// file may not import).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parser } = require('@prometheus-io/lezer-promql') as { parser: typeof PromqlParser };
type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

/** Labels Prometheus adds when it scrapes (the PodMonitor's job, the pod's namespace and name); no service exports them. */
export const TARGET_LABELS = new Set(['job', 'namespace', 'pod', 'instance']);

/**
 * Label values a healthy run never produces: a dashboard may select them, and a run with a
 * little traffic has no series with them (dead letters and retries need failing handlers, a
 * 5xx a failing server). The label itself must still be exported.
 */
export const FAILURE_ONLY_VALUES: Record<string, string[]> = { outcome: ['dead-letter', 'retry'], status: ['5..'] };

// ---- the exposition -------------------------------------------------------------------------

export interface Sample {
  name: string;
  labels: Record<string, string>;
}

export interface Exposition {
  /** Metric family name → its TYPE (counter, gauge, histogram, summary, untyped). */
  types: Map<string, string>;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_PAIR = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/;

/** Prometheus text format 0.0.4, as prom-client writes it. */
export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , family, type] = line.split(/\s+/);
      if (family && type) types.set(family, type);
      continue;
    }
    if (line.startsWith('#') || line.trim() === '') continue;
    const name = NAME.exec(line)?.[0];
    if (!name) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    let rest = line.slice(name.length);
    if (rest.startsWith('{')) {
      rest = rest.slice(1);
      for (let pair = LABEL_PAIR.exec(rest); pair; pair = LABEL_PAIR.exec(rest)) {
        labels[pair[1]!] = pair[2]!.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
        rest = rest.slice(pair[0].length);
      }
      if (!rest.trimStart().startsWith('}')) throw new Error(`unreadable labels in: ${line}`);
    }
    samples.push({ name, labels });
  }
  return { types, samples };
}

/** Is the metric name a family this exposition declares (a histogram's `_bucket` is its family's)? */
function declared(exposition: Exposition, metric: string): boolean {
  if (exposition.types.has(metric)) return true;
  const suffix = /_(bucket|sum|count)$/.exec(metric);
  if (!suffix) return false;
  const type = exposition.types.get(metric.slice(0, -suffix[0].length));
  return type === 'histogram' || (type === 'summary' && suffix[1] !== 'bucket');
}

// ---- the dashboards -------------------------------------------------------------------------

export interface DashboardQuery {
  /** Where it is: the panel's title, or the template variable's name. */
  where: string;
  expr: string;
  /** Labels the legend prints (`{{route}}`), which the result must carry. */
  legendLabels: string[];
}

interface Panel {
  title?: string;
  panels?: Panel[];
  targets?: Array<{ expr?: string; legendFormat?: string }>;
}

/** Every PromQL expression of a dashboard: each panel's targets (rows' panels too) and the query variables. */
export function queriesOf(dashboard: { panels?: Panel[]; templating?: { list?: Array<Record<string, unknown>> } }): DashboardQuery[] {
  const found: DashboardQuery[] = [];
  const visit = (panels: Panel[] = []) => {
    for (const panel of panels) {
      for (const target of panel.targets ?? [])
        if (target.expr)
          found.push({
            where: `panel "${panel.title}"`,
            expr: target.expr,
            legendLabels: [...(target.legendFormat ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]!),
          });
      visit(panel.panels);
    }
  };
  visit(dashboard.panels);
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query') continue;
    const query = variable.query as { query?: string } | string;
    const text = typeof query === 'string' ? query : (query.query ?? '');
    // Grafana's `label_values(selector, label)`: the selector is PromQL, the label must be on it.
    const labelValues = /^label_values\((.*),\s*(\w+)\)$/.exec(text.trim());
    found.push(
      labelValues
        ? { where: `variable $${String(variable.name)}`, expr: labelValues[1]!, legendLabels: [labelValues[2]!] }
        : { where: `variable $${String(variable.name)}`, expr: text, legendLabels: [] },
    );
  }
  return found;
}

export interface Matcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export interface Selector {
  metric: string;
  matchers: Matcher[];
}

export interface QueryShape {
  selectors: Selector[];
  /** Each `by (…)`, `without (…)`, `on (…)`, `ignoring (…)` list with the selectors it applies to. */
  groupings: Array<{ labels: string[]; selectors: Selector[] }>;
  /** The outermost aggregation's `by` labels, if it has them: all a legend can print. */
  outerBy?: string[];
}

/**
 * Grafana's variables made concrete before parsing: `$__rate_interval` and friends are durations,
 * any other `$name` / `${name}` a label value (the dashboards use them only inside matchers).
 */
export function substituteVariables(expr: string): string {
  return expr.replace(/\$__(rate_interval|interval|range)\b/g, '5m').replace(/\$\{?(\w+)\}?/g, 'grafana_variable_$1');
}

/** Parses one expression; throws where the PromQL grammar does not accept it. */
export function shapeOf(expr: string): QueryShape {
  const text = substituteVariables(expr);
  const tree = parser.parse(text);
  const errors: string[] = [];
  tree.iterate({
    enter: (n) => {
      if (n.type.isError) errors.push(`at ${n.from}: "${text.slice(Math.max(0, n.from - 20), n.to + 20)}"`);
    },
  });
  if (errors.length > 0) throw new Error(`PromQL does not parse (${errors.join('; ')}): ${expr}`);

  const src = (n: SyntaxNode) => text.slice(n.from, n.to);
  const selectorOf = (n: SyntaxNode): Selector => {
    const metric = n.getChild('Identifier');
    const matchers: Matcher[] = [];
    for (const m of n.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []) {
      const value = JSON.parse(src(m.getChild('StringLiteral')!).replace(/^'(.*)'$/, '"$1"')) as string;
      matchers.push({ label: src(m.getChild('LabelName')!), op: src(m.getChild('MatchOp')!) as Matcher['op'], value });
    }
    if (!metric) throw new Error(`a selector without a metric name: ${src(n)} in ${expr}`);
    if (n.getChild('LabelMatchers')?.getChild('QuotedLabelMatcher') || n.getChild('LabelMatchers')?.getChild('QuotedLabelName'))
      throw new Error(`quoted label names are not checked: ${src(n)}`);
    return { metric: src(metric), matchers };
  };
  const selectorsIn = (n: SyntaxNode): Selector[] => {
    const out: Selector[] = [];
    const cursor = n.cursor();
    const end = n.to;
    do {
      if (cursor.from >= end) break;
      if (cursor.name === 'VectorSelector') out.push(selectorOf(cursor.node));
    } while (cursor.next());
    return out;
  };
  const labelsOf = (grouping: SyntaxNode | null) => (grouping?.getChildren('LabelName') ?? []).map(src);

  const shape: QueryShape = { selectors: selectorsIn(tree.topNode), groupings: [] };
  const cursor = tree.cursor();
  do {
    const node = cursor.node;
    if (cursor.name === 'AggregateModifier') {
      // Its aggregation's argument: the selectors the labels must be on.
      const body = node.parent!.getChild('FunctionCallBody')!;
      shape.groupings.push({ labels: labelsOf(node.getChild('GroupingLabels')), selectors: selectorsIn(body) });
      if (shape.outerBy === undefined && node.getChild('By') && !hasAncestor(node.parent!, 'AggregateExpr'))
        shape.outerBy = labelsOf(node.getChild('GroupingLabels'));
    } else if (cursor.name === 'MatchingModifierClause') {
      shape.groupings.push({ labels: labelsOf(node.getChild('GroupingLabels')), selectors: selectorsIn(node.parent!) });
    }
  } while (cursor.next());
  return shape;
}

function hasAncestor(node: SyntaxNode, name: string): boolean {
  for (let p = node.parent; p; p = p.parent) if (p.name === name) return true;
  return false;
}

// ---- the check ------------------------------------------------------------------------------

const fullMatch = (pattern: string, value: string) => new RegExp(`^(?:${pattern})$`).test(value);

function matches(m: Matcher, value: string | undefined): boolean {
  const v = value ?? '';
  if (m.op === '=') return v === m.value;
  if (m.op === '!=') return v !== m.value;
  if (m.op === '=~') return fullMatch(m.value, v);
  return !fullMatch(m.value, v);
}

const failureOnly = (m: Matcher) => (m.op === '=' || m.op === '=~') && (FAILURE_ONLY_VALUES[m.label] ?? []).includes(m.value);

/**
 * What in one query this exposition does not answer (empty: all of it): an undeclared metric, a
 * label no series of it carries, a selector no series matches, a grouping or legend label its
 * selectors lack.
 */
export function unanswered(query: DashboardQuery, exposition: Exposition): string[] {
  let shape: QueryShape;
  try {
    shape = shapeOf(query.expr);
  } catch (err) {
    return [`${query.where}: ${(err as Error).message}`];
  }
  const problems: string[] = [];
  const seriesOf = (metric: string) => exposition.samples.filter((s) => s.name === metric);
  const carries = (selector: Selector, label: string) =>
    TARGET_LABELS.has(label) || seriesOf(selector.metric).some((s) => label in s.labels);
  if (shape.selectors.length === 0) problems.push(`${query.where}: no metric in ${query.expr}`);
  for (const selector of shape.selectors) {
    if (!declared(exposition, selector.metric)) {
      problems.push(`${query.where}: ${selector.metric} is not exported`);
      continue;
    }
    for (const m of selector.matchers)
      if (!carries(selector, m.label)) problems.push(`${query.where}: no ${selector.metric} series has the label ${m.label}`);
    // The selector (but for the labels Prometheus adds and the values only failures make) picks real series.
    const checked = selector.matchers.filter((m) => !TARGET_LABELS.has(m.label) && !failureOnly(m));
    if (!seriesOf(selector.metric).some((s) => checked.every((m) => matches(m, s.labels[m.label]))))
      problems.push(
        `${query.where}: no ${selector.metric} series matches {${checked.map((m) => `${m.label}${m.op}"${m.value}"`).join(', ')}}`,
      );
  }
  for (const grouping of shape.groupings)
    for (const label of grouping.labels)
      for (const selector of grouping.selectors)
        if (declared(exposition, selector.metric) && !carries(selector, label))
          problems.push(`${query.where}: groups by ${label}, which no ${selector.metric} series carries`);
  for (const label of query.legendLabels) {
    if (shape.outerBy && !shape.outerBy.includes(label))
      problems.push(`${query.where}: the legend prints ${label}, which the outer aggregation drops (by ${shape.outerBy.join(', ')})`);
    else if (!shape.selectors.some((s) => carries(s, label)))
      problems.push(`${query.where}: the legend prints ${label}, which no series carries`);
  }
  return problems;
}

/** The values of the dashboard's `job` matchers, per selector (a per-service dashboard selects its own jobs). */
export function jobMatchers(query: DashboardQuery): Matcher[][] {
  return shapeOf(query.expr).selectors.map((s) => s.matchers.filter((m) => m.label === 'job'));
}

export { matches as matcherMatches };
