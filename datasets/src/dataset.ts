/**
 * The social graphs the benchmark loads: socfb-Reed98 (a real graph: 962 people, 18,812
 * friendships, each a follow both ways, as DeathStarBench's social network loads it) and the
 * people in it as Lumina accounts, named deterministically so every run loads the same data.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AccountSpec } from './api';
import { pick, seededRandom } from './util/pool';

export const DATASETS_DIR = join(__dirname, '..', '..', '..', 'shared', 'datasets');
export const REED98_DIR = join(DATASETS_DIR, 'socfb-Reed98');

export interface SocialGraph {
  name: string;
  nodes: number;
  /** Undirected friendships [a, b], a ≠ b, each once. */
  friendships: Array<[number, number]>;
}

export function readReed98(dir = REED98_DIR): SocialGraph {
  const nodes = Number(readFileSync(join(dir, 'socfb-Reed98.nodes'), 'utf8').trim());
  const seen = new Set<string>();
  const friendships: Array<[number, number]> = [];
  for (const line of readFileSync(join(dir, 'socfb-Reed98.edges'), 'utf8').split('\n')) {
    const [a, b] = line.trim().split(/\s+/).map(Number);
    if (a === undefined || b === undefined || Number.isNaN(a) || Number.isNaN(b) || a === b) continue;
    const key = a < b ? `${a} ${b}` : `${b} ${a}`;
    if (seen.has(key)) continue;
    seen.add(key);
    friendships.push([a, b]);
  }
  return { name: 'socfb-Reed98', nodes, friendships };
}

/** The induced subgraph of the first `n` people (the quick run loads a smaller graph). */
export function firstNodes(graph: SocialGraph, n: number): SocialGraph {
  if (n >= graph.nodes) return graph;
  return { name: `${graph.name} (first ${n} people)`, nodes: n, friendships: graph.friendships.filter(([a, b]) => a < n && b < n) };
}

/** Every friendship as two follows: [follower, followee]. */
export function followsOf(graph: SocialGraph): Array<[number, number]> {
  return graph.friendships.flatMap(([a, b]): Array<[number, number]> => [
    [a, b],
    [b, a],
  ]);
}

export function degrees(graph: SocialGraph): number[] {
  const degree = new Array<number>(graph.nodes).fill(0);
  for (const [a, b] of graph.friendships) {
    degree[a] = (degree[a] ?? 0) + 1;
    degree[b] = (degree[b] ?? 0) + 1;
  }
  return degree;
}

const FIRST = [
  'Ada',
  'Alan',
  'Grace',
  'Linus',
  'Margaret',
  'Dennis',
  'Barbara',
  'Ken',
  'Frances',
  'Edsger',
  'Radia',
  'Tim',
  'Hedy',
  'Donald',
  'Katherine',
  'John',
  'Sophie',
  'Niklaus',
  'Shafi',
  'Leslie',
  'Annie',
  'Guido',
  'Karen',
  'Bjarne',
  'Jean',
  'Yukihiro',
  'Mary',
  'James',
  'Lovelace',
  'Rosalind',
  'Carlos',
  'Amara',
  'Chidi',
  'Ingrid',
  'Mateo',
  'Noor',
  'Priya',
  'Renée',
  'Søren',
  'Zoë',
  'Élodie',
  'Joaquín',
  'Björn',
  'Aiko',
  'Kwame',
  'Lucía',
  'Olufemi',
  'Siobhan',
  'Thandiwe',
];
const LAST = [
  'Hopper',
  'Turing',
  'Lovelace',
  'Torvalds',
  'Hamilton',
  'Ritchie',
  'Liskov',
  'Thompson',
  'Allen',
  'Dijkstra',
  'Perlman',
  'Berners-Lee',
  'Lamarr',
  'Knuth',
  'Johnson',
  'McCarthy',
  'Wilson',
  'Wirth',
  'Goldwasser',
  'Lamport',
  'Easley',
  'van Rossum',
  'Spärck Jones',
  'Stroustrup',
  'Bartik',
  'Matsumoto',
  'Keller',
  'Gosling',
  'Franklin',
  'García',
  'Okafor',
  'Lindqvist',
  'Rossi',
  'Haddad',
  'Patel',
  'Dubois',
  'Kjær',
  'Müller',
  'Núñez',
  'Nakamura',
  'Mensah',
  'Fernández',
  'Adeyemi',
  "O'Brien",
];

export interface PersonSpec extends AccountSpec {
  node: number;
}

/** The account for a person of the graph: the same on every run, so a second run signs in. */
export function reedAccount(node: number, password = 'reed college 1998'): PersonSpec {
  const random = seededRandom(node * 7919 + 17);
  const first = pick(FIRST, random);
  const last = pick(LAST, random);
  const username = `reed_${String(node).padStart(3, '0')}`;
  return { node, username, email: `${username}@reed98.lumina.test`, password, displayName: `${first} ${last}`.slice(0, 50) };
}
