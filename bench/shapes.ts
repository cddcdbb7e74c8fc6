/**
 * File shapes of a real deployment repository, each holding a given list of image references and
 * some noise that looks like references but is not one (comments, templates, ports, URLs,
 * timestamps, base64). The scanner must find exactly the references given: the benchmark checks.
 */
import type { Random } from "./random.js";

export type ShapeName = "k8s" | "compose" | "kapitan" | "terraform" | "helm-values";

export interface ShapeInput {
  /** Base name of the app the file describes (`payments-3`). */
  readonly name: string;
  /** Full reference texts, each to appear exactly once as a reference. */
  readonly refs: readonly string[];
  /** Registry host[:port], for noise that looks like a reference and is not. */
  readonly host: string;
  readonly rng: Random;
  /** Extra noise to add, in bytes (roughly). */
  readonly noiseBytes: number;
}

export interface Shape {
  readonly name: ShapeName;
  /** Repository-relative path of a file of this shape. */
  readonly path: (app: string, n: number) => string;
  readonly render: (input: ShapeInput) => string;
}

const quoteOf = (rng: Random): string => rng.pick(["", "", '"', "'"]);

/** YAML noise lines (indentation given by the caller); none is a reference. */
function yamlNoise(rng: Random, host: string, indent: string, bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  const gen = (): string[] => {
    switch (rng.int(12)) {
      case 0:
        return [`# Owned by team-${rng.int(40)}; runbook: https://wiki.acme.example/runbooks/${rng.hex(6)}`];
      case 1:
        // A commented-out reference: common, but not on every twelfth line.
        return rng.chance(0.25)
          ? [
              `# image: ${host}/acme/legacy-${rng.int(9)}:main-0000${rng.int(9)}-${rng.hex(7)}  (kept for the rollback notes)`,
            ]
          : [`# TODO(team-${rng.int(40)}): drop this once the migration is done`];
      case 2:
        return [`checksum/config: "{{ include (print $.Template.BasePath \\"/configmap.yaml\\") . | sha256sum }}"`];
      case 3:
        return [`legacyImage: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"`];
      case 4:
        return [`toolImage: \${REGISTRY}/acme/tool-${rng.int(9)}:\${TOOL_TAG}`];
      case 5:
        return [`database_url: postgres://app:${rng.hex(12)}@db-${rng.int(5)}.acme.internal:5432/app?sslmode=require`];
      case 6:
        return [`listen: 0.0.0.0:${8000 + rng.int(1000)}`, `metricsAddr: ":${9000 + rng.int(100)}"`];
      case 7:
        return [
          `deployedAt: "2024-0${1 + rng.int(9)}-1${rng.int(9)}T1${rng.int(9)}:${10 + rng.int(49)}:00Z"`,
          `revision: sha256:${rng.hex(16)}`,
        ];
      case 8:
        return [`ports:`, `  - "${8000 + rng.int(100)}:${8000 + rng.int(100)}/tcp"`];
      case 9:
        return [`probe: [grpc_health_probe, "-addr=localhost:${9000 + rng.int(900)}/healthz"]`];
      case 10:
        return [`certificate: ${Buffer.from(rng.hex(96), "hex").toString("base64")}`];
      default:
        return [
          `labels:`,
          `  app.kubernetes.io/part-of: shop`,
          `  app.kubernetes.io/version: "{{ .Chart.AppVersion }}"`,
          `  acme.example/cost-center: cc-${rng.int(900)}`,
        ];
    }
  };
  while (size < bytes) {
    for (const l of gen()) {
      lines.push(indent + l);
      size += indent.length + l.length + 1;
    }
  }
  return lines.length ? lines.join("\n") + "\n" : "";
}

const k8s: Shape = {
  name: "k8s",
  path: (app, n) => `apps/${app}/overlays/env-${n % 4}/deployment-${n}.yaml`,
  render: ({ name, refs, host, rng, noiseBytes }) => {
    const containers = refs
      .map((ref, i) => {
        const q = quoteOf(rng);
        return [
          `        - name: ${name}-${i}`,
          `          image: ${q}${ref}${q}`,
          `          imagePullPolicy: IfNotPresent`,
          `          args: ["--listen=0.0.0.0:${8080 + i}", "--config=/etc/${name}/config.yaml"]`,
          `          ports:`,
          `            - containerPort: ${8080 + i}`,
          `          readinessProbe:`,
          `            httpGet: { path: /healthz, port: ${8080 + i} }`,
          `          env:`,
          `            - name: UPSTREAM`,
          `              value: http://localhost:${9000 + i}/api`,
          `            - name: BUILD`,
          `              value: "{{ .Values.build }}"`,
        ].join("\n");
      })
      .join("\n");
    return [
      `# Deployment of ${name}. Tags below are moved by Laminar; do not edit them by hand.`,
      `apiVersion: apps/v1`,
      `kind: Deployment`,
      `metadata:`,
      `  name: ${name}`,
      `  annotations:`,
      yamlNoise(rng, host, "    ", Math.min(400, noiseBytes)).trimEnd(),
      `spec:`,
      `  replicas: ${1 + rng.int(5)}`,
      `  template:`,
      `    metadata:`,
      `      labels: { app: ${name} }`,
      `    spec:`,
      `      containers:`,
      containers,
      `---`,
      `apiVersion: v1`,
      `kind: ConfigMap`,
      `metadata:`,
      `  name: ${name}-config`,
      `data:`,
      `  config.yaml: |`,
      yamlNoise(rng, host, "    ", Math.max(0, noiseBytes - 400)),
    ].join("\n");
  },
};

const compose: Shape = {
  name: "compose",
  path: (app, n) => `compose/${app}/docker-compose.${n}.yml`,
  render: ({ name, refs, host, rng, noiseBytes }) => {
    const services = refs
      .map((ref, i) => {
        const q = quoteOf(rng);
        return [
          `  ${name}-${i}:`,
          `    image: ${q}${ref}${q}`,
          `    restart: unless-stopped`,
          `    ports:`,
          `      - "${5000 + i}:${5000 + i}/tcp"`,
          `    environment:`,
          `      REDIS_URL: redis://cache:6379/0`,
          `      VERSION: \${VERSION:-dev}`,
        ].join("\n");
      })
      .join("\n");
    return [
      `# Local stack for ${name}`,
      `services:`,
      services,
      `  tools:`,
      `    image: \${REGISTRY:-${host}}/acme/tools:\${TOOLS_TAG}`,
      `    profiles: [debug]`,
      `x-notes:`,
      yamlNoise(rng, host, "  ", noiseBytes),
    ].join("\n");
  },
};

const kapitan: Shape = {
  name: "kapitan",
  path: (app, n) => `inventory/classes/${app}/images-${n}.yml`,
  render: ({ name, refs, host, rng, noiseBytes }) =>
    [
      `classes:`,
      `  - common`,
      `parameters:`,
      `  ${name.replace(/-/g, "_")}:`,
      `    images:`,
      ...refs.map((ref, i) => `      c${i}: ${ref}`),
      `    replicas: ${1 + rng.int(3)}`,
      `  kapitan:`,
      `    compile:`,
      `      - output_path: manifests/${name}`,
      `        input_type: jsonnet`,
      `        input_paths: [components/${name}/main.jsonnet]`,
      `  notes:`,
      yamlNoise(rng, host, "    ", noiseBytes),
    ].join("\n"),
};

const terraform: Shape = {
  name: "terraform",
  path: (app, n) => `terraform/${app}/main-${n}.tf`,
  render: ({ name, refs, host, rng, noiseBytes }) => {
    const containers = refs
      .map(
        (ref, i) => `        container {
          name  = "${name}-${i}"
          image = "${ref}"
          args  = ["--port=${8080 + i}", "--registry=\${var.registry}/acme/${name}:\${var.tag}"]
        }`,
      )
      .join("\n");
    let notes = "";
    while (notes.length < noiseBytes) {
      notes += `# ${rng.pick(["Rolled out by CI", "See ADR-12", "Pinned by platform", "Do not edit"])} at 2024-0${1 + rng.int(9)}-11T10:${10 + rng.int(49)}:00Z (${rng.hex(12)})\n`;
      notes += `locals { endpoint_${rng.hex(4)} = "https://api.acme.example:${8000 + rng.int(999)}/v1" }\n`;
    }
    return `variable "registry" {
  default = "${host}"
}

variable "tag" {
  type = string
}

resource "kubernetes_deployment" "${name.replace(/-/g, "_")}" {
  metadata {
    name = "${name}"
    labels = { app = "${name}" }
  }
  spec {
    template {
      spec {
${containers}
      }
    }
  }
}
${notes}`;
  },
};

const helmValues: Shape = {
  name: "helm-values",
  path: (app, n) => `charts/${app}/values-${n}.yaml`,
  render: ({ name, refs, host, rng, noiseBytes }) =>
    [
      `# Values for ${name}; the split repository/tag form below is rendered by the chart.`,
      `image:`,
      `  repository: ${host}/acme/${name}`,
      `  tag: "{{ .Chart.AppVersion }}"`,
      `  pullPolicy: IfNotPresent`,
      ...refs.flatMap((ref, i) => {
        const q = quoteOf(rng);
        return [
          `sidecar${i}:`,
          `  enabled: true`,
          `  image: ${q}${ref}${q}`,
          `  resources: { limits: { cpu: 100m, memory: 64Mi } }`,
        ];
      }),
      `podAnnotations:`,
      yamlNoise(rng, host, "  ", noiseBytes),
    ].join("\n"),
};

export const SHAPES: readonly Shape[] = [k8s, compose, kapitan, terraform, helmValues];

/** Files with no reference at all: what else lives in a deployment repository. */
export function noiseFile(rng: Random, host: string, n: number, bytes: number): { path: string; content: string } {
  switch (n % 3) {
    case 0: {
      let body = `# Runbook ${n}\n\nDeploys go through Laminar. To roll back, revert the commit that moved the tag.\n\n`;
      while (body.length < bytes) {
        body += `- ${rng.pick(["Check", "Verify", "Page", "Escalate to"])} team-${rng.int(40)} at 10:${10 + rng.int(49)} UTC; dashboard https://grafana.acme.example/d/${rng.hex(8)}\n`;
        body += "  ```\n  kubectl -n shop rollout status deploy/app --timeout=120s\n  ```\n";
      }
      return { path: `docs/runbook-${n}.md`, content: body };
    }
    case 1: {
      const entries: string[] = [];
      let size = 0;
      while (size < bytes) {
        const e = `    {"ts":"2024-05-0${1 + rng.int(9)}T10:${10 + rng.int(49)}:00Z","level":"info","addr":":${8000 + rng.int(999)}","trace":"${rng.hex(32)}"}`;
        entries.push(e);
        size += e.length + 2;
      }
      return {
        path: `dashboards/board-${n}.json`,
        content: `{\n  "title": "board ${n}",\n  "panels": [\n${entries.join(",\n")}\n  ]\n}\n`,
      };
    }
    default:
      return {
        path: `secrets/sealed-${n}.yaml`,
        content: `apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: sealed-${n}\nspec:\n  encryptedData:\n${yamlNoise(rng, host, "    ", bytes)}`,
      };
  }
}
