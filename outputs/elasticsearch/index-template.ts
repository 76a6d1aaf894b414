import type { ElasticsearchOutputConfig } from './config.js';
import type { EsHttpClient } from './http-client.js';
import type { ServerDialect } from './server-version.js';
import type { Target } from './target.js';

const keyword = { type: 'keyword', ignore_above: 1024 };
const text = { type: 'text' };
const long = { type: 'long' };

/** ECS mappings for the fields logship's event schema (README, "The event") and normaliser produce. */
export const ECS_MAPPINGS = {
  dynamic_templates: [
    // Unknown strings (attributes, user fields) as keyword: searchable, aggregatable, no text+keyword doubling.
    { strings_as_keyword: { match_mapping_type: 'string', mapping: keyword } },
  ],
  properties: {
    '@timestamp': { type: 'date' },
    message: text,
    tags: keyword,
    log: {
      properties: {
        level: keyword,
        logger: keyword,
        offset: long,
        file: { properties: { path: keyword } },
        origin: { properties: { file: { properties: { name: keyword, line: long } }, function: keyword } },
      },
    },
    event: { properties: { id: keyword, original: { type: 'keyword', index: false, doc_values: false }, dataset: keyword } },
    host: { properties: { name: keyword, hostname: keyword } },
    service: { properties: { name: keyword } },
    process: { properties: { pid: long, thread: { properties: { id: long, name: keyword } } } },
    trace: { properties: { id: keyword } },
    span: { properties: { id: keyword } },
    error: { properties: { type: keyword, message: text, stack_trace: { type: 'text', index: false } } },
    http: {
      properties: {
        request: { properties: { method: keyword, body: { properties: { bytes: long } } } },
        response: { properties: { status_code: long, body: { properties: { bytes: long } } } },
        version: keyword,
      },
    },
    url: { properties: { original: keyword, path: keyword } },
    user_agent: { properties: { original: keyword } },
    source: { properties: { ip: keyword, port: long } },
    client: { properties: { ip: keyword } },
    attributes: { type: 'object', dynamic: true },
  },
};

/**
 * `index_template.enabled`: at start, install the component template
 * `<name>-ecs-mappings` and the index template `<name>` for the output's
 * index pattern (or its data stream), composed of it. PUT is idempotent;
 * the output's templates are replaced at each start.
 */
export async function installTemplates(
  client: EsHttpClient,
  dialect: ServerDialect,
  target: Target,
  settings: ElasticsearchOutputConfig['index_template'],
): Promise<{ component: string; index: string }> {
  const component = `${settings.name}-ecs-mappings`;
  const put = (path: string, body: object) => client.request({ method: 'PUT', path, body, headers: dialect.jsonHeaders });
  await put(`/_component_template/${encodeURIComponent(component)}`, {
    template: { mappings: ECS_MAPPINGS },
    _meta: { managed_by: 'logship' },
  });
  await put(`/_index_template/${encodeURIComponent(settings.name)}`, {
    index_patterns: [target.pattern],
    composed_of: [component],
    priority: settings.priority,
    ...(target.dataStream && { data_stream: {} }),
    _meta: { managed_by: 'logship' },
  });
  return { component, index: settings.name };
}
