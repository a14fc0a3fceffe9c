/**
 * Every Lambda entry file, by what it serves. The CDK stack makes one function of each;
 * the local runtime routes to the same files.
 */
export const REST_METHOD_ENTRIES: Readonly<Record<string, string>> = {
  events: 'events',
  'event.bind': 'event-bind',
  'event.unbind': 'event-unbind',
  'event.get': 'event-get',
  'event.offline.get': 'event-offline-get',
  'event.offline.list': 'event-offline-list',
  'event.offline.clear': 'event-offline-clear',
  'event.offline.error': 'event-offline-error',
  'event.test': 'event-test',
  batch: 'batch',
  scope: 'scope',
  methods: 'methods-list',
  'app.info': 'app-info',
  profile: 'profile',
  'feature.get': 'feature-get',
  'server.time': 'server-time',
};

export const PUBLISH_ENTRY = 'publish';
export const DELIVER_ENTRY = 'deliver';
export const OAUTH_TOKEN_ENTRY = 'oauth-token';
export const NOTIFY_ENTRY = 'notify';
export const REST_FALLBACK_ENTRY = 'rest-fallback';
