/** search, `/api/v1/search`: users, posts and hashtags, and autocomplete. */
import { z } from 'zod';
import { PageQuery } from './common-inputs';
import { MAX_QUERY_LENGTH } from './limits';
import { defineRoutes, json, type ServiceContract } from './route';
import { servicePrefix } from './version';
import { Hashtag, pageOf, SearchPost, SearchUser, Suggestion } from './shapes';

/** search's own readQueryText checks it (trimmed, NFC, counted in code points). */
export const SearchText = z
  .string()
  .min(1)
  .meta({ description: `What to look for: 1 to ${MAX_QUERY_LENGTH} characters; @name for users, #tag for hashtags` });
export const SearchQuery = z.object({ q: SearchText });
export const SearchPageQuery = PageQuery.extend({ q: SearchText });
export const HashtagParams = z.object({ tag: z.string().meta({ description: 'A hashtag, with or without #, any case' }) });

export const Everything = z
  .strictObject({ users: z.array(SearchUser), posts: z.array(SearchPost), hashtags: z.array(Hashtag) })
  .meta({ id: 'SearchResults' });

const postsPage = pageOf(SearchPost).meta({ id: 'SearchPostPage' });

/** Every path of this table is under it: `/api/v1/search`. */
export const SEARCH_PREFIX = servicePrefix('search');

export const searchRoutes = defineRoutes({
  everything: {
    method: 'get',
    path: SEARCH_PREFIX,
    summary: 'The best few users, posts and hashtags',
    request: { query: SearchQuery },
    responses: { 200: json('The best few of each kind', Everything) },
    errors: [400],
  },
  users: {
    method: 'get',
    path: `${SEARCH_PREFIX}/users`,
    summary: 'Users by username and display name',
    request: { query: SearchPageQuery },
    responses: { 200: json('A page of users, best first', pageOf(SearchUser).meta({ id: 'SearchUserPage' })) },
    errors: [400],
  },
  posts: {
    method: 'get',
    path: `${SEARCH_PREFIX}/posts`,
    summary: 'Posts by caption and alt text',
    request: { query: SearchPageQuery },
    responses: { 200: json('A page of posts, best first', postsPage) },
    errors: [400],
  },
  hashtags: {
    method: 'get',
    path: `${SEARCH_PREFIX}/hashtags`,
    summary: 'Hashtags',
    request: { query: SearchPageQuery },
    responses: { 200: json('A page of hashtags: exact match first, then by post count', pageOf(Hashtag).meta({ id: 'HashtagPage' })) },
    errors: [400],
  },
  suggest: {
    method: 'get',
    path: `${SEARCH_PREFIX}/suggest`,
    summary: 'Autocomplete: users and hashtags that start with what was typed',
    request: { query: SearchQuery },
    responses: { 200: json('The suggestions', z.strictObject({ items: z.array(Suggestion) }).meta({ id: 'Suggestions' })) },
    errors: [400],
  },
  hashtagPosts: {
    method: 'get',
    path: `${SEARCH_PREFIX}/hashtags/:tag/posts`,
    summary: 'Posts with a hashtag, newest first',
    request: { params: HashtagParams, query: PageQuery },
    responses: { 200: json('A page of posts', postsPage) },
    errors: [400],
  },
});

export const searchContract: ServiceContract = {
  service: 'search',
  title: 'Lumina search',
  description: 'Full-text search of users, posts and hashtags (case- and accent-insensitive).',
  prefix: SEARCH_PREFIX,
  routes: searchRoutes,
};
