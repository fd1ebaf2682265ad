// The shape of the generated item schemas (schemas.generated.ts): what
// encoding/json makes of each Go type a store item is decoded into. See
// scripts/schemas/derive.go for how they are made.

export type SchemaNode =
  | { k: 'string' | 'bool' | 'time' | 'ip' | 'bytes' | 'raw' | 'any' | 'iface' | 'func' }
  | { k: 'text'; of: string }
  | { k: 'int' | 'uint' | 'float'; bits: number }
  | { k: 'ptr' | 'slice'; of: SchemaNode }
  | { k: 'array'; len: number | null; of: SchemaNode }
  | { k: 'map'; key: string; of: SchemaNode }
  | { k: 'ref'; to: string }
  | { k: 'struct'; fields: SchemaField[]; nullable?: boolean }
  | { k: 'dispatch'; field: string; payload: string; payloadRequired: boolean; unknown: 'error' | 'skip'; cases: Record<string, SchemaNode> };

export interface SchemaField {
  key: string;
  t: SchemaNode;
  /** The loader fails without it (network.json's Endpoints). */
  required?: boolean;
  /** Held as json.RawMessage and decoded afterwards (network.json's Endpoints): only the last occurrence counts. */
  lastOnly?: boolean;
}

export interface SchemaItem {
  /** json.Unmarshal (the whole file is one value) or json.Decoder.Decode (the first value; trailing bytes never read). */
  decoder: 'unmarshal' | 'decode';
  t: SchemaNode;
}

export interface SchemaSet {
  source: { repo: string; ref: string; commit: string; deps: Record<string, string> };
  items: Record<string, SchemaItem>;
  types: Record<string, SchemaNode>;
  origin: Record<string, string>;
  warnings: string[];
}
