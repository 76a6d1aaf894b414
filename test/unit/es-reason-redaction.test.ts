import { describe, expect, it } from 'vitest';
import { withoutUserinfo } from '../../outputs/elasticsearch/response.js';

// A request error's reason may quote the node URL it was sent to; whatever
// shape the userinfo has, the password must not reach a log line.
describe('ES request reasons never carry a password', () => {
  const shapes: Array<[string, string]> = [
    ['with a scheme', 'connect ECONNREFUSED http://elastic:Sup3rSecret@127.0.0.1:9200/_bulk'],
    ['a space in the password', 'request to https://elastic:Sup3r Secret@es:9200/ failed'],
    ['an @ in the password', 'request to https://elastic:Sup3r@Secret@es:9200/ failed'],
    ['without a scheme', 'bad host elastic:Sup3rSecret@es:9200'],
    ['a / in the password, no scheme', 'bad host elastic:Sup3r/Secret@es:9200'],
    ['a # and ? in the password, no scheme', 'bad host elastic:Sup3r#?Secret@es:9200'],
  ];
  for (const [name, reason] of shapes) {
    it(name, () => {
      const out = withoutUserinfo(reason);
      expect(out).not.toMatch(/Sup3r|Secret/);
      expect(out).toContain('[redacted]@');
    });
  }

  it('leaves a reason without userinfo alone', () => {
    const reason = 'mapper_parsing_exception: failed to parse field [user.email] of type [keyword]';
    expect(withoutUserinfo(reason)).toBe(reason);
  });
});
