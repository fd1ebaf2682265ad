// The PrometheusRule for the Prometheus operator, made from the one source
// of the alert rules (examples/prometheus/vcstore-rules.yml), which promtool
// checks and tests, and whose code lists scripts/alertrules.mjs makes.
// `node scripts/prometheusrule.mjs > examples/prometheus/vcstore-prometheusrule.yaml`;
// test/fleet.test.ts checks the committed file is exactly this output.
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';

const rules = parse(readFileSync(new URL('../examples/prometheus/vcstore-rules.yml', import.meta.url), 'utf8'));
const cr = {
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'PrometheusRule',
  metadata: { name: 'vcstore', namespace: 'monitoring', labels: { release: 'kube-prometheus-stack' } },
  spec: rules,
};
process.stdout.write(
  '# Made by scripts/prometheusrule.mjs from vcstore-rules.yml: edit that (its code lists: scripts/alertrules.mjs), then run it again.\n' +
    "# The Prometheus operator's ruleSelector must match the labels (kube-prometheus-stack: release: <its release name>).\n" +
    stringify(cr, { lineWidth: 0 }),
);
