// What the API offers beyond the basics, found by introspection once per sign-in, so the page
// shows material readiness ("blocked by parts") when the server has it and skips it otherwise.

const TYPE_REF = "kind name ofType { kind name ofType { kind name ofType { kind name } } }";
const PROBE = `query Capabilities {
  job: __type(name: "Job") { fields { name type { ${TYPE_REF} } } }
  filter: __type(name: "JobFilter") { inputFields { name type { ${TYPE_REF} } } }
}`;
const ENUM_VALUES = `query Values($name: String!) {
  type: __type(name: $name) { kind enumValues { name } fields { name type { ${TYPE_REF} } } }
}`;

const BLOCKED = new Set(["SHORT", "AT_RISK"]);

function named(ref) {
  let type = ref;
  while (type?.ofType) type = type.ofType;
  return type;
}

export const NONE = {
  jobReadiness: "",
  readinessValues: [],
  readinessFilter: false,
  readinessOf: () => null,
  blockedByParts: () => false,
};

export async function detectCapabilities(gql) {
  try {
    const { job, filter } = await gql(PROBE);
    const fields = new Map((job?.fields ?? []).map((f) => [f.name, named(f.type)]));
    const inputs = new Map((filter?.inputFields ?? []).map((f) => [f.name, named(f.type)]));
    const caps = { ...NONE };
    const selections = [];
    const readiness = fields.get("readiness");
    let readinessPath = null;
    if (readiness && (readiness.kind === "ENUM" || readiness.kind === "SCALAR")) {
      selections.push("readiness");
      readinessPath = (j) => j.readiness;
      if (readiness.kind === "ENUM") {
        const { type } = await gql(ENUM_VALUES, { name: readiness.name });
        caps.readinessValues = type.enumValues.map((v) => v.name);
      }
    } else if (readiness?.kind === "OBJECT") {
      const { type } = await gql(ENUM_VALUES, { name: readiness.name });
      const sub = (type.fields ?? []).find((f) => ["status", "overall", "level"].includes(f.name));
      if (sub) {
        selections.push(`readiness { ${sub.name} }`);
        readinessPath = (j) => j.readiness?.[sub.name];
        const subType = named(sub.type);
        if (subType.kind === "ENUM") {
          const values = await gql(ENUM_VALUES, { name: subType.name });
          caps.readinessValues = values.type.enumValues.map((v) => v.name);
        }
      }
    }
    if (fields.get("blockedByParts")?.name === "Boolean") selections.push("blockedByParts");
    caps.jobReadiness = selections.join(" ");
    caps.readinessOf = (j) => (readinessPath && j ? readinessPath(j) ?? null : null);
    caps.blockedByParts = (j) =>
      Boolean(j && (j.blockedByParts ?? BLOCKED.has(caps.readinessOf(j))));
    caps.readinessFilter = inputs.has("readiness") && caps.readinessValues.length > 0;
    return caps;
  } catch {
    // Introspection may be switched off on a public endpoint: run without the extras.
    return { ...NONE };
  }
}
